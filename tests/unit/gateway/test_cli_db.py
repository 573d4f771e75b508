"""`lorekeeper db upgrade|status` and `--version` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from gateway.cli import build_parser, main


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("lorekeeper 0.")


def test_db_upgrade_twice_is_a_no_op_the_second_time(settings_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["applied"][0] == "001_initial.sql"
    assert main(["db", "upgrade", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"applied": []}
    assert main(["db", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [row["applied"] for row in status] == [True] * len(status)
    assert (settings_env / "pgdata" / "PG_VERSION").exists()


def test_bad_setting_is_one_friendly_line(settings_env, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DB_TIMEOUT_S", "2")
    assert main(["db", "status"]) == 1
    err = capsys.readouterr().err
    assert "error: Cannot reach the database at DATABASE_URL (host 127.0.0.1, port 1" in err
    assert "Traceback" not in err


def test_every_subcommand_has_a_handler() -> None:
    parser = build_parser()
    groups = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "db" in groups
    for name, sub in groups.items():
        assert sub.get_default("func") is not None or sub._subparsers is not None, name


def test_a_command_imports_only_its_own_group() -> None:
    import subprocess
    import sys

    code = ("import sys; from gateway.cli import main; assert main(['roll', '1d4']) == 0; "
            "heavy = {'pymupdf', 'openai', 'google.genai', 'ingest.srd'} & set(sys.modules); "
            "assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Total:" in result.stdout

"""`lorekeeper bot` without DISCORD_TOKEN says what to do, and nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main


def test_a_missing_token_is_a_friendly_error(settings_env: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["bot", "--no-ray"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "README" in err
    assert "Traceback" not in err
    assert list(settings_env.iterdir()) == []  # nothing was started (no database in the data dir)


def test_bot_help_names_the_ray_address(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bot", "--help"])
    out = capsys.readouterr().out
    assert "--address" in out and "ray start --head" in out

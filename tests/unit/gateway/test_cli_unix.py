"""The command line behaves like a Unix tool: a fast `--help`, quiet on a closed pipe, one line for a bad DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _cli(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=env.get("HOME_DIR", REPO),
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    out |= {"LOREKEEPER_DATA_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    return out


def test_help_imports_no_heavy_library(env: dict[str, str]) -> None:
    """What makes --help fast: building the whole parser loads none of the heavy libraries (the time itself is
    measured by `lorekeeper bench cli`, not asserted on a shared machine)."""
    code = ("import sys; from gateway.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('pymupdf', 'fitz', 'openai', 'google.genai', 'torch', 'psycopg', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=REPO).stdout.splitlines()
    assert out[0] == "[]"
    result = _cli(["--help"], env)
    assert result.returncode == 0 and "campaign" in result.stdout


def test_a_closed_pipe_ends_quietly(env: dict[str, str]) -> None:
    """A long listing piped into `head -1`: no BrokenPipeError traceback, the status a shell expects."""
    code = ("import gateway.commands.bench as b; b.available = lambda: {f'b{i}': 'x' * 80 for i in range(20000)}; "
            "from gateway.cli import main; raise SystemExit(main(['bench']))")
    script = f"{sys.executable} -c \"{code}\" | head -1; echo \"status ${{PIPESTATUS[0]}}\""
    result = subprocess.run(["bash", "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.stdout.strip().splitlines()[-1] in ("status 0", "status 141")


def test_broken_pipe_in_a_handler_is_not_an_error(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from gateway import cli

    def boom(argv: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_main", boom)
    saved = os.dup(1)
    try:
        assert cli.main(["roll", "1d6"]) == 141
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert "error" not in capsys.readouterr().err


@pytest.mark.parametrize("url", ["postgresql://x:sekrit-pass@127.0.0.1:1/db", "notaurl"])
def test_bad_database_url_is_one_clear_line(env: dict[str, str], url: str) -> None:
    result = _cli(["db", "status"], env | {"DATABASE_URL": url}, timeout=30)  # no retry loop: it cannot hang
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]
    assert "sekrit-pass" not in result.stderr + result.stdout
    if url.startswith("postgresql"):
        assert "127.0.0.1" in lines[0] and "port 1" in lines[0]

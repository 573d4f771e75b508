"""`lorekeeper campaign ...` end to end against the session's embedded PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "campaigns" / "the-drowned-lantern.pdf"
NAME = "drowned-lantern-cli"


@pytest.fixture
def cli_env(settings_env: Path, embedded_pg: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    get_settings.cache_clear()
    return settings_env


def _json_lines(out: str) -> list:
    return [json.loads(line) for line in out.splitlines() if line.startswith(("{", "["))]


def test_import_list_show_search_and_batch(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "import", str(SAMPLE), "--name", NAME, "--json"]) == 0
    imported = _json_lines(capsys.readouterr().out)[0]
    assert imported["campaign"] == NAME and imported["locations"] == 19 and imported["chunks"] >= 45

    assert main(["campaign", "list", "--json"]) == 0
    listed = {row["campaign"]: row for row in _json_lines(capsys.readouterr().out)[0]}
    assert listed[NAME]["chunks"] == imported["chunks"]

    assert main(["campaign", "show", NAME, "--json"]) == 0
    shown = _json_lines(capsys.readouterr().out)[0]
    assert (shown["npcs"], shown["locations"], shown["plot_threads"]) == (imported["npcs"], 19, imported["plot_threads"])

    assert main(["campaign", "search", NAME, "who is being kept in a cage?", "--location", "C4", "--limit", "3",
                 "--json"]) == 0
    hits = _json_lines(capsys.readouterr().out)[0]["hits"]
    assert len(hits) == 3
    assert hits[0]["heading_path"][-1] == "C4. The Tidal Cages"
    assert set(hits[0]) >= {"chunk_id", "heading_path", "page", "tags", "score", "text", "reasons"}

    queries = cli_env / "q.jsonl"
    queries.write_text("\n".join(json.dumps(q) for q in [
        {"query": "stats for the sea witch"},
        {"query": "what's going on here?", "scene": {"location": "B6", "npcs": []}},
        {"query": "what does he know?", "scene": {"location": "A3", "npcs": ["Edric Vane"]}},
    ]) + "\n")
    assert main(["campaign", "search", NAME, "--queries", str(queries), "--limit", "4", "--json"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert [line["query"] for line in lines] == ["stats for the sea witch", "what's going on here?", "what does he know?"]
    assert all(len(line["hits"]) == 4 for line in lines)
    assert lines[1]["hits"][0]["heading_path"][-1] == "B6. The Lamp Room"
    assert "Edric Vane" in [h["heading_path"][-1] for h in lines[2]["hits"][:2]]


def test_unknown_campaign_and_bad_pdf_are_one_friendly_line(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "show", "nope-not-here"]) == 1
    err = capsys.readouterr().err
    assert "There is no campaign called 'nope-not-here'" in err and "Traceback" not in err
    bad = cli_env / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 this is not really a pdf")
    assert main(["campaign", "import", str(bad), "--name", "bad-one"]) == 1
    err = capsys.readouterr().err
    assert "I can't read" in err and "bad.pdf" in err


def test_convert_script_imports_each_pdf_named_after_its_file(cli_env: Path, embedded_pg: str) -> None:
    folder = cli_env / "pdfs"
    folder.mkdir()
    (folder / "drowned-lantern-cli-script.pdf").write_bytes(SAMPLE.read_bytes())
    (folder / "broken.pdf").write_bytes(b"")
    env = {"DATABASE_URL": embedded_pg, "LOREKEEPER_DATA_DIR": str(cli_env), "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "convert_pdfs_to_db.py"), str(folder)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=cli_env)
    assert proc.returncode == 1                       # one file failed
    assert "drowned-lantern-cli-script.pdf → campaign 'drowned-lantern-cli-script'" in proc.stdout
    assert "broken.pdf: I can't read" in proc.stderr

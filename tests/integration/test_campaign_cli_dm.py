"""`lorekeeper campaign ...` as a DM preparing a session uses it: readable search, role questions, names, notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from ingest.campaign.service import import_campaign_pdf
from ingest.embedder import get_embedder

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "campaigns" / "the-drowned-lantern.pdf"
NAME = "drowned-lantern-dm"


@pytest.fixture(scope="module")
async def imported(db):
    await db.execute("DELETE FROM campaigns WHERE name ILIKE 'drowned-lantern-dm%%' OR name ILIKE 'renamed-dm%%'")
    yield await import_campaign_pdf(db, SAMPLE, NAME, get_embedder())
    await db.execute("DELETE FROM campaigns WHERE name ILIKE 'drowned-lantern-dm%%' OR name ILIKE 'renamed-dm%%'")


@pytest.fixture
def cli(settings_env: Path, embedded_pg: str, monkeypatch: pytest.MonkeyPatch, imported) -> Path:
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    get_settings.cache_clear()
    return settings_env


def _search(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["campaign", "search", NAME, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("question", ["who runs the lighthouse?", "who keeps the light?"])
def test_role_questions_bring_the_keeper_first(cli: Path, capsys: pytest.CaptureFixture[str], question: str) -> None:
    code, out, _ = _search(capsys, question, "--limit", "3", "--json")
    hits = json.loads(out)["hits"]
    assert code == 0 and len(hits) == 3
    assert hits[0]["heading_path"][-1] == "Osric Tallow"
    assert "role #1" in " ".join(hits[0]["reasons"])


def test_plain_search_shows_the_passage_heading_and_page_without_scores(cli: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, "who runs the lighthouse?", "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "# who runs the lighthouse?"
    assert lines[1].startswith("1. ") and "Osric Tallow (page 9)" in lines[1]
    assert "Keeper of the Crow Point light" in lines[2]
    assert "vector #" not in out and "fts #" not in out and "score" not in out
    code, explained, _ = _search(capsys, "who runs the lighthouse?", "--limit", "3", "--explain")
    assert "role #1" in explained and "score" in explained


def test_passage_is_trimmed_around_the_matching_words(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.commands._campaign_search import snippet

    text = "Filler words here. " * 60 + "The sea stair hides behind the oil casks at the base of the tower. " + \
        "More filler. " * 60
    out = snippet(text, "where is the sea stair?", width=200)
    assert "sea stair" in out and out.startswith("…") and out.endswith("…") and len(out) <= 202


def test_one_json_shape_for_one_query_and_a_batch(cli: Path, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    code, out, _ = _search(capsys, "the sea witch", "--limit", "2", "--json")
    single = json.loads(out)
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"query": "the sea witch"}) + "\n", encoding="utf-8")
    code, out, _ = _search(capsys, "--queries", str(queries), "--limit", "2", "--json")
    batch = json.loads(out.splitlines()[0])
    assert set(single) == set(batch) >= {"campaign", "query", "hits"}
    assert single["campaign"] == NAME


def test_limit_over_ten_and_unknown_scene_names_are_noted(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _search(capsys, "the lamp", "--limit", "50", "--location", "Lamp Rom", "--npc", "Osrik Talow",
                             "--npc", "Zanzibar Quux")
    assert code == 0
    assert "--limit 50" in err and "10" in err
    assert "Zanzibar Quux" in err
    assert "Lamp Rom" not in err and "Osrik Talow" not in err           # close enough: they are used
    code, out, err = _search(capsys, "the lamp", "--location", "Moon Palace")
    assert "no location called 'Moon Palace'" in err
    assert main(["campaign", "search", NAME, "x", "--limit", "0"]) == 1
    assert "at least 1" in capsys.readouterr().err


def test_a_bad_queries_line_names_its_number(cli: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "ok"}\n\n{"query": "broken",\n', encoding="utf-8")
    assert main(["campaign", "search", NAME, "--queries", str(queries)]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and "Traceback" not in err and "JSONDecodeError" not in err


def test_campaigns_are_found_by_any_case_and_by_title(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "show", NAME.upper(), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["campaign"] == NAME
    assert main(["campaign", "show", "The Drowned Lantern DM", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["campaign"] == NAME
    assert main(["campaign", "show", "drowned-lantern-dn"]) == 1
    err = capsys.readouterr().err  # other tests' campaigns may be suggested too, in any order
    assert "Did you mean" in err and f"'{NAME}'" in err.split("Did you mean", 1)[1]


def test_list_and_show_use_the_same_key_and_iso_timestamps(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    row = next(r for r in rows if r["campaign"] == NAME)
    assert "T" in row["created_at"] and " " not in row["created_at"]
    assert "name" not in row


def test_blank_and_huge_names_are_refused_in_one_line(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "import", str(SAMPLE), "--name", "   "]) == 1
    err = capsys.readouterr().err
    assert "not blank" in err and "nothing was changed" in err
    assert main(["campaign", "import", str(SAMPLE), "--name", "x" * 5000]) == 1
    err = capsys.readouterr().err
    assert "at most 200 characters" in err and "CheckViolation" not in err and "x" * 300 not in err
    assert main(["campaign", "show", "y" * 5000]) == 1
    err = capsys.readouterr().err
    assert "There is no campaign" in err and len(err) < 400


def test_rename_and_delete(cli: Path, capsys: pytest.CaptureFixture[str], db) -> None:
    assert main(["campaign", "rename", NAME, "renamed-dm"]) == 0
    assert "renamed-dm" in capsys.readouterr().out
    assert main(["campaign", "rename", "renamed-dm", " "]) == 1
    capsys.readouterr()
    assert main(["campaign", "rename", "renamed-dm", NAME]) == 0
    capsys.readouterr()
    assert main(["campaign", "import", str(SAMPLE), "--name", NAME + "-copy"]) == 0
    capsys.readouterr()
    assert main(["campaign", "delete", NAME + "-copy"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["campaign", "delete", NAME + "-copy", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] is True
    assert main(["campaign", "show", NAME + "-copy"]) == 1

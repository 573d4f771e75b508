"""Generalisation: import a held-out adventure with a different layout and measure retrieval on it.

"The Millwright's Debt" (tests/data/make_unseen_adventure.py) is our own text, rendered at test
time with Times body text, bold sans headings, three keyed-area styles ("AREA 1 — THE TOLL
BRIDGE", "B2. Flooded Cellar", "5) Sluice Tunnel"), NPCs in a boxed sidebar, in bold-named
paragraphs and in "Name (race role)" paragraphs, a running header with the title and chapter,
page numbers in alternating corners and a full-width cover page. Nothing in ingest/ was written
against it; the questions (tests/data/unseen_questions.jsonl) use a player's words, not the text's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from ingest.campaign.service import import_campaign_pdf
from ingest.embedder import get_embedder
from persistence.campaign_repository import CampaignRepository
from persistence.retrieval import CampaignRetriever
from recall import measure_recall

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "tests" / "data" / "unseen_questions.jsonl"
NAME = "unseen-millwright-test"


def _generator():
    spec = importlib.util.spec_from_file_location("make_unseen_adventure",
                                                  REPO / "tests" / "data" / "make_unseen_adventure.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module            # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope="module")
async def imported(db, tmp_path_factory):
    """The unseen adventure, rendered and imported once for this module (and removed afterwards)."""
    pdf = GEN.build(tmp_path_factory.mktemp("unseen") / "the-millwrights-debt.pdf")
    await db.execute("DELETE FROM campaigns WHERE name = %s", (NAME,))
    summary = await import_campaign_pdf(db, pdf, NAME, get_embedder())
    yield summary
    await db.execute("DELETE FROM campaigns WHERE name = %s", (NAME,))


async def test_every_keyed_location_is_its_own_chunk_and_row(db, imported) -> None:
    rows = await db.fetch_all(
        "SELECT l.key, c.heading_path, c.kind FROM locations l JOIN campaign_chunks c ON c.id = l.source_chunk_id "
        "WHERE l.campaign_id = %s", (imported.campaign_id,))
    found = {r["key"]: (r["heading_path"][-1], r["kind"]) for r in rows}
    assert found == {key: (heading, "location") for key, heading in GEN.EXPECTED_LOCATIONS}
    for _, heading in GEN.EXPECTED_LOCATIONS:      # exactly one location chunk per keyed area
        n = await db.fetch_value(
            "SELECT count(*) FROM campaign_chunks WHERE campaign_id = %s AND kind = 'location' "
            "AND heading_path[array_length(heading_path, 1)] = %s", (imported.campaign_id, heading))
        assert n == 1, heading


async def test_every_named_npc_is_its_own_chunk_and_row(db, imported) -> None:
    rows = await db.fetch_all(
        "SELECT n.name, c.heading_path, c.kind, c.text FROM npcs n JOIN campaign_chunks c ON c.id = n.source_chunk_id "
        "WHERE n.campaign_id = %s", (imported.campaign_id,))
    by_name = {r["name"]: r for r in rows}
    for name in GEN.EXPECTED_NPCS:
        assert name in by_name, (name, sorted(by_name))
        row = by_name[name]
        assert row["kind"] == "npc" and row["heading_path"][-1] == name, (name, row["heading_path"], row["kind"])
        assert name.split()[-1] in row["text"]
    # headings of tables and rules sections are not people
    assert not {"Village Rumours", "Mill Encounters", "General Features", "Jory Fenwick"} & set(by_name)
    assert by_name["Osric Dunmore"]["heading_path"][-2] == "B3. Grinding Floor"
    assert by_name["Mag Tully"]["heading_path"] == ["Appendix B: Harrowdale Folk", "Mag Tully"]
    role = await db.fetch_value("SELECT role FROM npcs WHERE campaign_id = %s AND name = 'Tobin Reeve'",
                                (imported.campaign_id,))
    assert role == "human toll keeper"


async def test_no_running_header_or_footer_in_chunks(db, imported) -> None:
    texts = [r["text"] for r in await db.fetch_all(
        "SELECT text FROM campaign_chunks WHERE campaign_id = %s", (imported.campaign_id,))]
    assert len(texts) >= 25
    for furniture in (*GEN.HEADER_TEXTS, "Harrowdale Press"):
        assert not any(furniture in t for t in texts), furniture
    # the cover title is the document's title, not a chapter every chunk hangs under; appendices are chapters
    paths = [tuple(r["heading_path"]) for r in await db.fetch_all(
        "SELECT heading_path FROM campaign_chunks WHERE campaign_id = %s", (imported.campaign_id,))]
    assert not any(p and p[0] == GEN.TITLE for p in paths)
    assert {p[0] for p in paths} >= {"Part 1: Harrowdale", "Part 2: The Mill", "Part 3: Beneath the Millrace",
                                     "Appendix A: The Wend Road", "Appendix B: Harrowdale Folk"}
    everything = "\n".join(texts)
    # drop caps rejoin their word; words hyphenated at a line end are whole again; columns read in order
    assert "Harrowdale is a village of sixty stone cottages" in everything
    assert "The mill is a three-storey building" in everything
    assert "except what the characters bring" in everything and "chara-" not in everything
    assert "the village holds a thin, grateful feast" in everything


async def test_recall_at_10_on_the_unseen_adventure(db, imported) -> None:
    report = await measure_recall(db, imported.campaign_id, QUESTIONS)
    print(report.summary("unseen adventure retrieval"))
    assert report.questions >= 30
    recall, mrr = report.recall, report.mrr
    # 0.85 (at most 6 of 42 missed) is the bar the sample adventure is held to; measured 0.952 / 0.774
    # here. A question a broken layout pass loses (the NPC paragraphs, run-in keyed areas, columns read
    # across) takes recall to 0.66, so the bar catches a regression of the parsing, not only of ranking.
    assert recall >= 0.85
    assert mrr >= 0.55


async def test_campaign_stats_count_the_world(db, imported) -> None:
    stats = await CampaignRepository(db).campaign_stats(NAME)
    assert stats["locations"] == len(GEN.EXPECTED_LOCATIONS)
    assert stats["story_hooks"] == 3
    assert stats["connections"] >= 4 and stats["npcs"] == len(GEN.EXPECTED_NPCS)


async def test_rare_words_outweigh_the_campaigns_own_common_words(db, imported) -> None:
    retriever = CampaignRetriever(db)
    share = await db.fetch_value(
        "SELECT avg((tsv @@ to_tsquery('english', 'mill'))::int) FROM campaign_chunks WHERE campaign_id = %s",
        (imported.campaign_id,))
    assert share > 0.3                      # "mill" is this campaign's stop word ...
    hits = await retriever.search(imported.campaign_id, "the mill and the gibbet", None, None, 10)
    assert hits[0].heading_path[-1] == "R1. Gallows Crossroads"   # ... so the one gibbet decides
    assert hits[0].reasons[0].startswith("fts #1")
    hits = await retriever.search(imported.campaign_id, "the mill", None, None, 10)
    assert len(hits) == 10 and all(any(r.startswith("fts") for r in h.reasons) for h in hits)

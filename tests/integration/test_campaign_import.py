"""Campaign import into the real embedded PostgreSQL, idempotent re-import, bad PDFs, and retrieval quality."""

from __future__ import annotations

import os
from pathlib import Path

import pymupdf
import pytest

from ingest.campaign.service import import_campaign_pdf, search_campaign
from ingest.embedder import get_embedder
from ingest.errors import UnreadablePdf
from persistence.campaign_repository import CampaignNotFound, CampaignRepository
from recall import measure_recall
from persistence.retrieval import CampaignRetriever, Scene

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "campaigns" / "the-drowned-lantern.pdf"
QUESTIONS = REPO / "tests" / "data" / "campaign_questions.jsonl"
NAME = "drowned-lantern-test"


async def _wipe(db) -> None:
    await db.execute("DELETE FROM campaigns WHERE name LIKE %s", ("drowned-lantern-test%",))


@pytest.fixture(scope="module")
async def imported(db):
    """The sample adventure imported once for this module (and removed afterwards)."""
    await _wipe(db)
    summary = await import_campaign_pdf(db, SAMPLE, NAME, get_embedder())
    yield summary
    await _wipe(db)


async def test_import_writes_chunks_world_and_embeddings(db, imported) -> None:
    stats = await CampaignRepository(db).campaign_stats(NAME)
    assert stats["chunks"] == imported.chunks >= 45
    assert stats["locations"] == 19
    assert stats["npcs"] >= 7
    assert stats["connections"] >= 8
    assert stats["plot_threads"] >= 5 and stats["story_hooks"] == 4
    assert stats["files"] == ["the-drowned-lantern.pdf"]
    missing = await db.fetch_value(
        "SELECT count(*) FROM campaign_chunks WHERE campaign_id = %s AND embedding IS NULL", (imported.campaign_id,))
    assert missing == 0
    row = await db.fetch_one(
        "SELECT l.key, c.heading_path, c.page FROM locations l JOIN campaign_chunks c ON c.id = l.source_chunk_id "
        "WHERE l.campaign_id = %s AND l.key = 'B3'", (imported.campaign_id,))
    assert row["heading_path"][-1] == "B3. The Wreckers' Cellar" and row["page"] == 7
    npc = await db.fetch_one(
        "SELECT n.stat_block, l.name AS location, c.heading_path FROM npcs n JOIN locations l ON l.id = n.location_id "
        "JOIN campaign_chunks c ON c.id = n.source_chunk_id WHERE n.campaign_id = %s AND n.name = 'Edric Vane'",
        (imported.campaign_id,))
    assert npc == {"stat_block": "noble", "location": "Harbormaster's Office",
                   "heading_path": ["Chapter 1: Gullhaven", "A3. Harbormaster's Office", "Edric Vane"]}
    leaked = await db.fetch_value(
        "SELECT count(*) FROM campaign_chunks WHERE campaign_id = %s AND text LIKE %s", (imported.campaign_id,
                                                                                       "%THE DROWNED LANTERN%"))
    assert leaked == 0


async def test_reimport_replaces_the_file_in_place(db, imported) -> None:
    before = await CampaignRepository(db).campaign_stats(NAME)
    old_ids = {r["id"] for r in await db.fetch_all(
        "SELECT id FROM campaign_chunks WHERE campaign_id = %s", (imported.campaign_id,))}
    again = await import_campaign_pdf(db, SAMPLE, NAME, get_embedder())
    after = await CampaignRepository(db).campaign_stats(NAME)
    assert again.campaign_id == imported.campaign_id
    for key in ("chunks", "npcs", "locations", "connections", "plot_threads", "story_hooks", "documents"):
        assert after[key] == before[key], key
    new_ids = {r["id"] for r in await db.fetch_all(
        "SELECT id FROM campaign_chunks WHERE campaign_id = %s", (imported.campaign_id,))}
    assert not old_ids & new_ids


def _bad_pdfs(tmp_path: Path) -> list[Path]:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(os.urandom(2048))
    locked = tmp_path / "locked.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "An adventure behind a password.")
    doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    scan = tmp_path / "scan.pdf"
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 32, 32), 0)
    pix.clear_with(128)
    doc.new_page().insert_image(pymupdf.Rect(50, 50, 400, 400), pixmap=pix)
    doc.save(scan)
    return [empty, noise, locked, scan]


async def test_bad_pdfs_leave_nothing_behind(db, imported, tmp_path: Path) -> None:
    before = await CampaignRepository(db).campaign_stats(NAME)
    for path in _bad_pdfs(tmp_path):
        with pytest.raises(UnreadablePdf):
            await import_campaign_pdf(db, path, NAME + "-bad", get_embedder())
        with pytest.raises(UnreadablePdf):                 # into an existing campaign: it stays as it was
            await import_campaign_pdf(db, path, NAME, get_embedder())
    assert await db.fetch_value("SELECT count(*) FROM campaigns WHERE name = %s", (NAME + "-bad",)) == 0
    after = await CampaignRepository(db).campaign_stats(NAME)
    assert after["chunks"] == before["chunks"] and after["files"] == ["the-drowned-lantern.pdf"]


async def test_scene_pulls_in_the_current_location_and_npcs(db, imported) -> None:
    hits = await search_campaign(db, NAME, "what is in this room?", Scene(location="C2"), 10, get_embedder())
    assert hits[0].heading_path[-1] == "C2. The Bone Shoals"
    assert any("scene" in r for r in hits[0].reasons)
    hits = await search_campaign(db, NAME, "what does she want?", Scene(location="Gutted Eel", npcs=("Grell",)),
                                 5, get_embedder())
    assert "Mother Grell" in [h.heading_path[-1] for h in hits[:3]]
    assert len(hits) == 5


async def test_limit_is_capped_and_typos_still_match(db, imported) -> None:
    hits = await search_campaign(db, NAME, "Kelpwhistel", None, 50, get_embedder())
    assert len(hits) == 10
    assert any("Kelpwhistle" in " ".join(h.heading_path) for h in hits[:3])
    assert any(r.startswith("trigram") for h in hits for r in h.reasons)


async def test_nothing_matching_falls_back_to_overview_and_location(db, imported) -> None:
    retriever = CampaignRetriever(db)
    hits = await retriever.search(imported.campaign_id, "zzqx vvkj", None, None, 10)
    assert [h.heading_path[-1] for h in hits] == ["Introduction"]
    assert hits[0].reasons == ("fallback: overview",)
    hits = await retriever.search(imported.campaign_id, "zzqx vvkj", None, Scene(location="B5"), 10)
    assert hits[0].heading_path[-1] == "B5. The Spiral Stair"
    assert hits[0].reasons[0].startswith("scene #1")


async def test_unknown_campaign_is_a_friendly_error(db) -> None:
    with pytest.raises(CampaignNotFound) as err:
        await search_campaign(db, "no-such-campaign", "hello", None, 10, get_embedder())
    assert "no-such-campaign" in err.value.user_message


async def test_recall_at_10_on_natural_questions(db, imported) -> None:
    report = await measure_recall(db, imported.campaign_id, QUESTIONS)
    print(report.summary("campaign retrieval"))
    assert report.questions >= 30
    recall, mrr = report.recall, report.mrr
    assert recall >= 0.85
    assert mrr >= 0.5


def _side_module(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((60, 80), "Appendix B: The Sunken Shrine", fontsize=18, fontname="hebo")
    page.insert_text((60, 110), "S1. Shrine Steps", fontsize=12, fontname="hebo")
    y = 130
    for line in ("Worn steps lead down into green water. Brother Aldous Venn (use the",
                 "acolyte stat block) keeps a lonely vigil here and begs for news of the town.",
                 "A narrow crawlway leads to area S2."):
        page.insert_text((60, y), line, fontsize=10, fontname="helv")
        y += 13
    page.insert_text((60, y + 14), "S2. Flooded Reliquary", fontsize=12, fontname="hebo")
    page.insert_text((60, y + 34), "Silver reliquaries lie tumbled in the silt beneath the water.", fontsize=10,
                     fontname="helv")
    doc.save(path)
    return path


async def test_a_second_file_adds_to_the_campaign_and_reimports_stay_per_file(db, imported, tmp_path: Path) -> None:
    before = await CampaignRepository(db).campaign_stats(NAME)
    side = _side_module(tmp_path / "sunken-shrine.pdf")
    await import_campaign_pdf(db, side, NAME, get_embedder())
    both = await CampaignRepository(db).campaign_stats(NAME)
    assert both["files"] == ["sunken-shrine.pdf", "the-drowned-lantern.pdf"]
    assert both["locations"] == before["locations"] + 2
    assert await db.fetch_value("SELECT stat_block FROM npcs WHERE campaign_id = %s AND name = %s",
                                (imported.campaign_id, "Brother Aldous Venn")) == "acolyte"
    await import_campaign_pdf(db, SAMPLE, NAME, get_embedder())        # re-import the other file
    again = await CampaignRepository(db).campaign_stats(NAME)
    assert (again["locations"], again["npcs"], again["chunks"]) == (both["locations"], both["npcs"], both["chunks"])
    hits = await search_campaign(db, NAME, "flooded reliquary silver", None, 3, get_embedder())
    assert hits[0].heading_path[-1] == "S2. Flooded Reliquary"
    await db.execute("DELETE FROM campaign_documents WHERE source_file = %s", ("sunken-shrine.pdf",))
    await db.execute("DELETE FROM locations WHERE campaign_id = %s AND data->>'source_file' = %s",
                     (imported.campaign_id, "sunken-shrine.pdf"))
    await db.execute("DELETE FROM npcs WHERE campaign_id = %s AND data->>'source_file' = %s",
                     (imported.campaign_id, "sunken-shrine.pdf"))


async def test_reimport_keeps_the_play_state_on_the_adventures_rows(db, imported) -> None:
    """Re-importing the PDF (a fixed typo, a new version) must not forget what the party did: NPCs met or
    killed, plot progress and its notes, hooks already used — and must not duplicate the hooks."""
    from game.effects import GameState, NpcRecord, PlotThread
    from persistence.play_state import PlayStateRepository

    repo = PlayStateRepository(db)
    cid = imported.campaign_id
    npc = await db.fetch_value("SELECT name FROM npcs WHERE campaign_id = %s ORDER BY id LIMIT 1", (cid,))
    thread = await db.fetch_value("SELECT title FROM plot_threads WHERE campaign_id = %s ORDER BY id LIMIT 1", (cid,))
    hook = await db.fetch_value("SELECT text FROM story_hooks WHERE campaign_id = %s ORDER BY id LIMIT 1", (cid,))
    hooks_before = await db.fetch_value("SELECT count(*) FROM story_hooks WHERE campaign_id = %s", (cid,))
    loaded = await repo.load(cid)
    before = GameState.from_dict(loaded.state)
    played = before.model_copy(update={
        "npcs": {npc.lower(): NpcRecord(name=npc, description="", alive=False)},
        "plot_threads": {**before.plot_threads,
                         thread.lower(): PlotThread(name=thread, progress=("The key was found.",), resolved=False)},
        "hooks": tuple(h.model_copy(update={"used": h.text == hook}) for h in before.hooks),
    })  # fmt: skip
    played = GameState.model_validate(played.to_dict())
    await repo.save(cid, expected_version=loaded.version, before=before.to_dict(), after=played.to_dict())

    await import_campaign_pdf(db, SAMPLE, NAME, get_embedder())
    after = GameState.from_dict((await repo.load(cid)).state)
    assert after.npcs[npc.lower()].alive is False  # still met, still dead
    assert after.plot_threads[thread.lower()].progress == ("The key was found.",)
    assert [h.text for h in after.hooks if h.used] == [hook]
    assert await db.fetch_value("SELECT count(*) FROM story_hooks WHERE campaign_id = %s", (cid,)) == hooks_before

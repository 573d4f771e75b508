"""The reader tier on the real PostgreSQL with the sample adventure imported: what the import extracted is
what the DM reads; the scripted backend stands in for the embedded model (forced to the reader tier)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dm.table import PlayerMessage, Table
from dm.turn import DMTurn
from game.effects import GameState
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id
from persistence.retrieval import CampaignRetriever
from persistence.world import WorldRepository

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "campaigns" / "the-drowned-lantern.pdf"
NAME = "reader-lantern"


@pytest.fixture(scope="module")
def parsed() -> Any:
    from ingest.campaign.pipeline import parse_campaign_pdf

    return parse_campaign_pdf(SAMPLE, set(), set())


@pytest.fixture
async def lantern(clean_db: Any, parsed: Any) -> Any:
    """The sample adventure stored (no embeddings: retrieval runs on its words) and bound to a console channel."""
    from ingest.campaign.service import store_import

    summary = await store_import(clean_db, NAME, parsed, None)
    repo = PlayStateRepository(clean_db)
    channel = console_channel_id(summary.campaign_id)
    await repo.bind_channel(summary.campaign_id, channel)
    return clean_db, repo, summary.campaign_id, channel


def _pick(intent: str, passage: str, *, location: str = "none", npc: str = "none", link: str = "") -> dict[str, Any]:
    return {"reply": {"intent": intent, "location": location, "npc": npc, "passage": passage, "link": link}}


def _table(db: Any, repo: Any, turn: DMTurn) -> Table:
    return Table(store=repo, messages=MessageLog(db), owner_id=1, seed=3, narrator=turn)


async def _say(table: Table, channel: int, message_id: int, text: str) -> Any:
    replies = await table.handle(PlayerMessage(channel, message_id, 31, "bob", text))
    assert len(replies) == 1
    return replies[0]


async def test_the_world_repository_reads_what_the_import_extracted(lantern: Any) -> None:
    db, _, campaign_id, _ = lantern
    world = await WorldRepository(db).world(campaign_id)
    assert len(world.locations) == 19 and len(world.npcs) >= 7
    cellar = next(loc for loc in world.locations if loc.key == "B3")
    assert cellar.name == "The Wreckers' Cellar" and cellar.description.startswith("Lamplight and the smell")
    assert cellar.text.startswith("B3. The Wreckers' Cellar") and cellar.page == 7
    assert {"Keeper's Cottage", "The Sea Stair"} <= set(cellar.connections)  # both directions
    grell = next(n for n in world.npcs if n.name == "Mother Grell")
    assert grell.location == "The Gutted Eel" and "Jory Flint" in grell.knows
    assert "Tam" not in grell.description and "Secret" not in grell.description  # her secret stays in the book
    assert world.intros["Chapter 1: Gullhaven"].startswith("Chapter 1: Gullhaven")
    assert (await WorldRepository(db).world(campaign_id + 999)).empty  # another campaign's rows never leak


async def test_reader_turns_read_the_module_and_the_engine_judges_the_pick(lantern: Any) -> None:
    db, repo, campaign_id, channel = lantern
    backend = ScriptedBackend([
        _pick("move", "go to The Gutted Eel", location="The Gutted Eel", link="You follow the noise down the lane."),
        _pick("talk", "meet Mother Grell", npc="Mother Grell", link="false"),
        _pick("ask", "ask Mother Grell", npc="Mother Grell", link="John Leahy rolls for initiative."),
        _pick("search", "here", link="1976-02-30"),  # the tavern's notes are all DM-only: its read-aloud answers
    ])  # fmt: skip
    table = _table(db, repo, DMTurn(backend, world=WorldRepository(db), reader_backends=("scripted",)))
    first = await _say(table, channel, 990_001, "We walk down to the tavern.")
    assert first.text.startswith("You follow the noise down the lane. Warmth and noise spill from the low doorway")
    assert [e["kind"] for e in first.applied] == ["location_change"]
    assert first.sources == ({"kind": "campaign", "title": NAME, "section": "A2. The Gutted Eel",
                              "name": "A2. The Gutted Eel", "page": 4, "chunk_id": first.sources[0]["chunk_id"]},)
    second = await _say(table, channel, 990_002, "I talk to the woman behind the bar.")
    assert second.text.startswith("Mother Grell. Proprietor of the Gutted Eel") and "false" not in second.text
    assert [e["kind"] for e in second.applied] == ["npc_introduce"]
    third = await _say(table, channel, 990_003, "What do you know about Jory?")
    assert "Jory Flint drank here every night" in third.text and "Leahy" not in third.text
    assert "Tam rows" not in third.text and third.applied == ()
    fourth = await _say(table, channel, 990_004, "I search the tavern.")
    # the tavern's notes are all DM mechanics (rumour rolls, prices): the book hides nothing to find here
    assert fourth.text.startswith("bob searches The Gutted Eel with care, but finds nothing more.")
    assert "1976" not in fourth.text and "DC" not in fourth.text

    loaded = await repo.load(campaign_id)
    state = GameState.from_dict(loaded.state)
    assert state.location == "The Gutted Eel" and "mother grell" in state.npcs
    met = await db.fetch_value("SELECT met FROM npcs WHERE campaign_id = %s AND name = 'Mother Grell'", (campaign_id,))
    assert met is True
    rows = await db.fetch_all("SELECT backend, reply, prompt, context FROM dm_turns ORDER BY id")
    assert [r["backend"] for r in rows] == ["scripted"] * 4
    assert rows[0]["reply"]["tier"] == "reader" and rows[0]["reply"]["source"]["name"] == "The Gutted Eel"
    assert rows[2]["reply"]["link_kept"] is False
    assert rows[0]["context"]["chunks"] == [first.sources[0]["chunk_id"]]  # what the turn read, for the log
    prompt = json.dumps(rows[1]["prompt"])
    assert len(prompt) < 4000 and "Mother Grell" in prompt  # a small prompt of this scene's names
    schema = backend.requests[1].schema
    assert schema is not None and "The Gutted Eel" not in schema["properties"]["location"]["enum"]  # not to itself


async def test_without_world_rows_the_reader_reads_retrieved_passages(lantern: Any) -> None:
    db, repo, campaign_id, channel = lantern
    await db.execute("DELETE FROM npcs WHERE campaign_id = %s", (campaign_id,))
    await db.execute("DELETE FROM locations WHERE campaign_id = %s", (campaign_id,))
    backend = ScriptedBackend([_pick("look", "passage 1", link="")])
    turn = DMTurn(backend, world=WorldRepository(db), search=CampaignRetriever(db), reader_backends=("scripted",))
    reply = await _say(_table(db, repo, turn), channel, 990_101, "I look for the chapel of the tide.")
    chunks = [r["text"] for r in await db.fetch_all("SELECT text FROM campaign_chunks WHERE campaign_id = %s",
                                                    (campaign_id,))]  # fmt: skip
    assert reply.text and any(reply.text[:60] in " ".join(text.split()) for text in chunks)  # module text
    row = await db.fetch_one("SELECT reply FROM dm_turns ORDER BY id DESC LIMIT 1")
    assert row is not None and row["reply"]["source"]["kind"] == "chunk"

"""A DM turn answering a session's batch takes the plain talk left pending by an EARLIER failed turn, never
talk said after the batch (that is the session's next batch: pulling it in answered it out of order, and the
next batch's own turn then replayed an old narrative). Found by `lorekeeper bench sessions`."""

from __future__ import annotations

from typing import Any

from dm.table import PlayerMessage
from dm.turn import DMTurn
from inference.scripted import ScriptedBackend

REPLY = {"narrative": "The fire crackles.", "rolls": [], "rule_lookups": [], "effects": []}


def _said(keep: Any, message_id: int, text: str) -> PlayerMessage:
    return PlayerMessage(keep.channel, message_id, 31, "bob", text)


async def _processed(keep: Any) -> dict[int, bool]:
    rows = await keep.db.fetch_all("SELECT discord_message_id AS id, processed FROM message_history "
                                   "WHERE channel_id = %s", (keep.channel,))  # fmt: skip
    return {r["id"]: r["processed"] for r in rows}


async def test_talk_said_after_the_batch_waits_for_its_own_turn(keep: Any) -> None:
    backend = ScriptedBackend([REPLY])
    table = keep.table()
    table.narrator = DMTurn(backend, summary_every=0)
    first, later = _said(keep, 900_001, "I warm my hands."), _said(keep, 900_002, "I look at the door.")
    for message in (first, later):
        assert await table.record_talk(message) is None
    replies = await table.answer_talk([first])
    assert [r.kind for r in replies] == ["narrative"] and not replies[0].replayed
    assert await _processed(keep) == {900_001: True, 900_002: False}
    assert "I look at the door." not in backend.requests[-1].messages[-1]["content"]
    again = await table.answer_talk([later])
    assert not again[0].replayed and await _processed(keep) == {900_001: True, 900_002: True}


async def test_talk_left_pending_by_an_earlier_failed_turn_is_still_answered(keep: Any) -> None:
    backend = ScriptedBackend([{"error": "unavailable"}, REPLY])
    table = keep.table()
    table.narrator = DMTurn(backend, summary_every=0)
    lost, now = _said(keep, 900_011, "I call out."), _said(keep, 900_012, "I call again.")
    assert await table.record_talk(lost) is None
    await table.answer_talk([lost])  # the model is down: the words are kept pending
    assert await table.record_talk(now) is None
    await table.answer_talk([now])
    assert await _processed(keep) == {900_011: True, 900_012: True}

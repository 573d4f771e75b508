"""Duplicate Discord deliveries at the table and session level, racing: Discord redelivers after a reconnect,
and two bot processes (or a resumed shard and its replacement) may both hand the same message to a table at
the same moment. Sequential redelivery is tests/integration/test_session.py; here the copies arrive
concurrently, through independent tables and sessions (nothing shared but PostgreSQL), and one is edited."""

from __future__ import annotations

import asyncio
from typing import Any

from faults.fault_helpers import record_output
from dm.session import ManualClock, Session, SessionConfig
from dm.table import PlayerMessage, Table, TableReply
from dm.turn import DMTurn
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog
from test_turn_grounding import party  # noqa: E402 - tests/integration, put on sys.path by fault_helpers

OWNER = 1


def _tables(keep: Any, n: int, backend: ScriptedBackend | None = None) -> list[Table]:
    """`n` independent tables (separate caches, as in separate processes) on the same database."""
    return [Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=OWNER, seed=5 + i,
                  narrator=None if backend is None else DMTurn(backend)) for i in range(n)]  # fmt: skip


def _rope(state: Any) -> int:
    return sum(i.quantity for i in state.characters["brakka"].inventory.items if i.name.lower() == "rope")


async def test_a_state_changing_command_delivered_four_times_at_once_applies_once(keep: Any) -> None:
    await party(keep)
    _, before = await keep.stored()
    message = PlayerMessage(keep.channel, 555_001, OWNER, "dm", "!add_item @Brakka rope")
    answers = await asyncio.gather(*(t.handle(message) for t in _tables(keep, 4)), return_exceptions=True)
    record_output("dup-add-item", repr(answers))
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    _, after = await keep.stored()
    assert _rope(after) == _rope(before) + 1
    results = [r.result.model_dump() for a in answers for r in a if r.result is not None]
    assert len(results) == 4 and all(r == results[0] for r in results)  # every copy answers with the one result
    assert await keep.db.fetch_value("SELECT count(*) FROM message_history WHERE discord_message_id = 555001") == 1


async def test_a_roll_delivered_three_times_at_once_is_rolled_once(keep: Any) -> None:
    await party(keep)
    message = PlayerMessage(keep.channel, 555_002, 31, "brakka", "!roll 4d20")
    answers = await asyncio.gather(*(t.handle(message) for t in _tables(keep, 3)))
    rolls = [r.result.model_dump() for a in answers for r in a if r.result is not None]
    assert len(rolls) == 3 and all(r == rolls[0] for r in rolls), rolls  # every copy shows the one stored roll
    assert sum(not r.replayed for a in answers for r in a) == 1  # rolled once; the others replay it


async def test_an_edited_copy_racing_the_original_runs_once(keep: Any) -> None:
    await party(keep)
    first, second = _tables(keep, 2)
    original = PlayerMessage(keep.channel, 555_003, OWNER, "dm", "!add_item @Brakka rope")
    edited = PlayerMessage(keep.channel, 555_003, OWNER, "dm", "!add_item @Brakka rope 50")
    _, before = await keep.stored()
    await asyncio.gather(first.handle(original), second.handle(edited))
    _, after = await keep.stored()
    assert _rope(after) - _rope(before) in (1, 50)  # one copy's words ran, once; never both (51)
    assert await keep.db.fetch_value("SELECT count(*) FROM message_history WHERE discord_message_id = 555003") == 1
    # (which copy's words run is the race's: the row keeps the first recorded text, the first save wins)


async def test_talk_delivered_twice_at_once_gets_one_turn_and_one_answer(keep: Any) -> None:
    await party(keep)
    backend = ScriptedBackend([{"reply": {"narrative": "Once only.", "rolls": [], "rule_lookups": [],
                                          "effects": []}}])  # a second turn would find the script empty
    sent: list[list[TableReply]] = []

    async def send(replies: list[TableReply]) -> None:
        sent.append(replies)

    [table] = _tables(keep, 1, backend)
    session = Session(table, keep.channel, config=SessionConfig(), clock=ManualClock(), send=send)
    message = PlayerMessage(keep.channel, 555_004, 31, "brakka", "I knock on the door.")
    await asyncio.gather(*(session.receive(message) for _ in range(3)))
    await session.flush()
    assert [r.text for batch in sent for r in batch if r.kind == "narrative"] == ["Once only."], sent
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1 and len(backend.requests) == 1


async def test_talk_raced_through_two_sessions_is_one_turn(keep: Any) -> None:
    """Two sessions on one channel (a director's actor and its stale predecessor): the database lets one
    turn through; the other session only replays it (marked `replayed`, so a gateway can skip posting it)."""
    await party(keep)
    backend = ScriptedBackend([{"reply": {"narrative": "Once only.", "rolls": [], "rule_lookups": [], "effects": []}}] * 2)
    sent: list[list[TableReply]] = []

    async def send(replies: list[TableReply]) -> None:
        sent.append(replies)

    sessions = [Session(t, keep.channel, config=SessionConfig(), clock=ManualClock(), send=send)
                for t in _tables(keep, 2, backend)]  # fmt: skip
    message = PlayerMessage(keep.channel, 555_005, 31, "brakka", "I knock on the door.")
    await asyncio.gather(*(s.receive(message) for s in sessions))
    await asyncio.gather(*(s.flush() for s in sessions))
    fresh = [r for batch in sent for r in batch if r.kind == "narrative" and not r.replayed]
    assert [r.text for r in fresh] == ["Once only."], sent
    assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1  # (the model may be asked twice)

"""Exactly-once message handling on a real PostgreSQL: nothing lost, nothing answered twice."""

from __future__ import annotations

import asyncio

import pytest

from persistence.database import Database
from persistence.errors import DatabaseUnavailable, DuplicateMessage
from persistence.messages import MessageLog, TurnRecord

CHANNEL = 555


@pytest.fixture
async def campaign_id(clean_db: Database) -> int:
    return await clean_db.fetch_value("INSERT INTO campaigns (name, channel_id) VALUES ('Lantern', %s) RETURNING id",
                                      (CHANNEL,))


def _turn(text: str) -> TurnRecord:
    return TurnRecord(prompt=[{"role": "user", "content": "I open the door"}], reply_text=text, backend="scripted",
                      prompt_tokens=12, completion_tokens=30, latency_ms=850)


async def test_a_retried_message_is_stored_once(clean_db: Database) -> None:
    log = MessageLog(clean_db)
    first = await log.record(channel_id=CHANNEL, message_id=9001, author_id=7, content="I open the door")
    again = await log.record(channel_id=CHANNEL, message_id=9001, author_id=7, content="I open the door")
    assert first.new and not again.new
    assert again.message.id == first.message.id
    assert await clean_db.fetch_value("SELECT count(*) FROM message_history") == 1


async def test_concurrent_duplicates_store_one_row(clean_db: Database) -> None:
    log = MessageLog(clean_db)
    results = await asyncio.gather(*[
        log.record(channel_id=CHANNEL, message_id=4242, author_id=7, content="attack!") for _ in range(6)
    ])
    assert sum(r.new for r in results) == 1
    assert await clean_db.fetch_value("SELECT count(*) FROM message_history") == 1


async def test_completed_turn_marks_messages_and_replays_its_reply(clean_db: Database, campaign_id: int) -> None:
    log = MessageLog(clean_db)
    for mid, text in ((1, "I open the door"), (2, "I follow Mira")):
        await log.record(channel_id=CHANNEL, message_id=mid, author_id=mid, content=text)
    assert [m.discord_message_id for m in await log.pending(CHANNEL)] == [1, 2]

    turn_id = await log.complete_turn(campaign_id=campaign_id, channel_id=CHANNEL, message_ids=[1, 2],
                                      turn=_turn("The door creaks open onto the flooded crypt."))
    assert await log.pending(CHANNEL) == []
    replay = await log.record(channel_id=CHANNEL, message_id=2, author_id=2, content="I follow Mira")
    assert replay.reply == "The door creaks open onto the flooded crypt."
    assert replay.message.turn_id == turn_id
    row = await clean_db.fetch_one("SELECT backend, prompt_tokens, prompt FROM dm_turns WHERE id = %s", (turn_id,))
    assert row == {"backend": "scripted", "prompt_tokens": 12,
                   "prompt": [{"role": "user", "content": "I open the door"}]}


async def test_a_message_is_never_answered_twice(clean_db: Database, campaign_id: int) -> None:
    log = MessageLog(clean_db)
    await log.record(channel_id=CHANNEL, message_id=77, author_id=7, content="I cast fireball")
    await log.complete_turn(campaign_id=campaign_id, channel_id=CHANNEL, message_ids=[77], turn=_turn("Boom."))
    with pytest.raises(DuplicateMessage):
        await log.complete_turn(campaign_id=campaign_id, channel_id=CHANNEL, message_ids=[77], turn=_turn("Boom 2."))
    assert await clean_db.fetch_value("SELECT count(*) FROM dm_turns") == 1


async def test_unknown_message_ids_write_nothing(clean_db: Database, campaign_id: int) -> None:
    log = MessageLog(clean_db)
    with pytest.raises(ValueError, match="never recorded"):
        await log.complete_turn(campaign_id=campaign_id, channel_id=CHANNEL, message_ids=[31337], turn=_turn("?"))
    assert await clean_db.fetch_value("SELECT count(*) FROM dm_turns") == 0


async def test_recent_returns_the_last_messages_oldest_first(clean_db: Database) -> None:
    log = MessageLog(clean_db)
    for mid in range(1, 8):
        await log.record(channel_id=CHANNEL, message_id=mid, author_id=1, content=f"line {mid}")
    assert [m.content for m in await log.recent(CHANNEL, limit=3)] == ["line 5", "line 6", "line 7"]


async def test_dropped_connection_mid_transaction_changes_nothing(clean_db: Database) -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        async with clean_db.transaction() as conn:
            await conn.execute("INSERT INTO campaigns (name) VALUES ('Half-written')")
            await clean_db.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
            await conn.execute("INSERT INTO campaigns (name) VALUES ('Never')")
    assert "nothing was changed" in info.value.user_message
    assert await clean_db.fetch_value("SELECT count(*) FROM campaigns") == 0
    assert await clean_db.ping()  # the pool replaced the dead connection

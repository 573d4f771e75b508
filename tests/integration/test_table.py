"""The table on a real PostgreSQL: commands recorded once, results replayed, state saved atomically."""

from __future__ import annotations

import itertools

import pytest

from dm.table import PlayerMessage, Table
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id

_ids = itertools.count(10_000)


@pytest.fixture
async def table(clean_db):  # type: ignore[no-untyped-def]
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Test Keep")
    await repo.bind_channel(campaign.id, console_channel_id(campaign.id))
    t = Table(store=repo, messages=MessageLog(clean_db), owner_id=1, seed=5)
    t.channel = console_channel_id(campaign.id)  # type: ignore[attr-defined]
    t.repo = repo  # type: ignore[attr-defined]
    t.campaign_id = campaign.id  # type: ignore[attr-defined]
    return t


def say(table: Table, author: int, text: str, message_id: int | None = None) -> PlayerMessage:
    return PlayerMessage(table.channel, message_id or next(_ids), author, f"p{author}", text)  # type: ignore[attr-defined]


async def test_a_roll_is_answered_and_a_redelivery_replays_it_without_rerolling(table: Table) -> None:
    message = say(table, 2, "!roll 1d20+3")
    first = await table.handle(message)
    again = await table.handle(message)
    assert first[0].kind == "command_result" and not first[0].replayed
    assert again[0].replayed and again[0].result == first[0].result


async def test_unknown_commands_and_bad_arguments_are_friendly_and_recorded(table: Table) -> None:
    unknown = await table.handle(say(table, 2, "!rol 1d20"))
    assert unknown[0].kind == "error" and "!roll" in unknown[0].result.reason  # type: ignore[union-attr]
    bad = await table.handle(say(table, 2, "!roll 1d"))
    assert bad[0].kind == "error" and "1d" in bad[0].result.reason  # type: ignore[union-attr]

"""`!use_feature` through the real table on the real PostgreSQL: a rage spent is saved and read back by a
fresh table; the refusal when none are left saves nothing; a redelivered message does not rage twice."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dm.commands.features import FeatureUsed
from dm.commands.results import Refusal
from dm.table import PlayerMessage, Table, TableReply
from game.effects import GameState
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id

PLAYER = 41
_ids = itertools.count(90_000)


@pytest.fixture
async def keep(clean_db: Any) -> dict[str, Any]:
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Rage Keep")
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    return {"db": clean_db, "repo": repo, "campaign": campaign, "channel": channel}


def _table(keep: dict[str, Any], seed: int) -> Table:
    return Table(store=keep["repo"], messages=MessageLog(keep["db"]), owner_id=1, seed=seed)


async def say(table: Table, keep: dict[str, Any], text: str, message_id: int | None = None) -> TableReply:
    replies = await table.handle(PlayerMessage(keep["channel"], message_id or next(_ids), PLAYER, "grog", text))
    assert len(replies) == 1
    return replies[0]


async def _stored(keep: dict[str, Any]) -> tuple[int, GameState]:
    loaded = await keep["repo"].load(keep["campaign"].id)
    return loaded.version, GameState.from_dict(loaded.state)


async def test_rages_are_saved_refused_when_spent_and_not_doubled_on_redelivery(keep: dict[str, Any]) -> None:
    made = await say(_table(keep, 1), keep, "!create_character Grog half-orc barbarian")
    assert made.kind == "command_result", made.result
    cid = f"pc-{PLAYER}"

    first_id = next(_ids)
    raged = await say(_table(keep, 2), keep, "!use_feature rage", first_id)
    assert isinstance(raged.result, FeatureUsed) and raged.result.remaining == 1
    again = await say(_table(keep, 3), keep, "!use_feature rage", first_id)  # redelivered
    assert again.replayed
    _, state = await _stored(keep)
    grog = state.characters[cid]
    assert grog.resources["rage"].remaining == 1 and grog.active_features == ["rage"]

    table = _table(keep, 4)
    assert isinstance((await say(table, keep, "!use_feature rage end")).result, FeatureUsed)
    assert (await say(table, keep, "!use_feature rage")).result.remaining == 0  # type: ignore[union-attr]
    version, before = await _stored(keep)
    refused = await say(_table(keep, 5), keep, "!use_feature rage end")
    assert isinstance(refused.result, FeatureUsed)
    empty = await say(_table(keep, 6), keep, "!use_feature rage")
    assert isinstance(empty.result, Refusal) and "no rages left until they finish a long rest" in empty.result.reason
    after_version, after = await _stored(keep)
    assert after.characters[cid].resources["rage"].remaining == 0
    assert after_version == version + 1  # only the `rage end` was saved
    assert before.characters[cid].active_features == ["rage"] and after.characters[cid].active_features == []

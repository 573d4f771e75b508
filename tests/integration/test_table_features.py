"""`!use_feature` through the real table on the real PostgreSQL: a rage spent is saved and read back by a
fresh table; the refusal when none are left saves nothing; a redelivered message does not rage twice."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dm.commands.features import FeatureUsed
from dm.commands.results import Refusal
from conftest import Keep
from dm.table import Table
from game.effects import GameState

PLAYER = 41
_ids = itertools.count(90_000)


def say(table: Table, keep: Keep, text: str, message_id: int | None = None) -> Any:
    return keep.say(table, text, author=PLAYER, name="grog", message_id=message_id)


async def test_rages_are_saved_refused_when_spent_and_not_doubled_on_redelivery(keep: Keep) -> None:
    made = await say(keep.table(1), keep, "!create_character Grog half-orc barbarian")
    assert made.kind == "command_result", made.result
    cid = f"pc-{PLAYER}"

    first_id = next(_ids)
    raged = await say(keep.table(2), keep, "!use_feature rage", first_id)
    assert isinstance(raged.result, FeatureUsed) and raged.result.remaining == 1
    again = await say(keep.table(3), keep, "!use_feature rage", first_id)  # redelivered
    assert again.replayed
    _, state = await keep.stored()
    grog = state.characters[cid]
    assert grog.resources["rage"].remaining == 1 and grog.active_features == ["rage"]

    table = keep.table(4)
    assert isinstance((await say(table, keep, "!use_feature rage end")).result, FeatureUsed)
    assert (await say(table, keep, "!use_feature rage")).result.remaining == 0  # type: ignore[union-attr]
    version, before = await keep.stored()
    refused = await say(keep.table(5), keep, "!use_feature rage end")
    assert isinstance(refused.result, FeatureUsed)
    empty = await say(keep.table(6), keep, "!use_feature rage")
    assert isinstance(empty.result, Refusal) and "no rages left until they finish a long rest" in empty.result.reason
    after_version, after = await keep.stored()
    assert after.characters[cid].resources["rage"].remaining == 0
    assert after_version == version + 1  # only the `rage end` was saved
    assert before.characters[cid].active_features == ["rage"] and after.characters[cid].active_features == []

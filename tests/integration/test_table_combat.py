"""A fight through the real table on the real PostgreSQL, with the real SRD rules book: monsters added,
turns enforced, an attack and a spell, the turn passed, and the state read back by a fresh table."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dm.commands.combat import AttackDone, CombatStatus, TurnOrder, TurnPassed
from dm.commands.spells import SpellCast
from dm.table import PlayerMessage, Table, TableReply
from game.character import Character
from game.creation import create_character, standard_array
from game.effects import GameState
from game.slots import slots_for
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id

OWNER, BROM, MIRA = 1, 11, 12
_ids = itertools.count(50_000)


def _party() -> dict[str, Character]:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=BROM)
    wiz = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    mira = create_character("Mira", "elf", "wizard", wiz, ["arcana", "history"], subrace="high elf", player_id=MIRA)
    mira.level, mira.spell_slots = 5, slots_for("full", 5)
    brom.id, mira.id = f"pc-{BROM}", f"pc-{MIRA}"
    return {brom.id: brom, mira.id: mira}


@pytest.fixture
async def fight(clean_db: Any, rules: Any) -> dict[str, Any]:
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Goblin Ambush")
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    await repo.save(campaign.id, expected_version=0, before={}, after=GameState(characters=_party()).to_dict())
    table = Table(store=repo, messages=MessageLog(clean_db), rules=rules, owner_id=OWNER, seed=11)
    return {"db": clean_db, "rules": rules, "repo": repo, "channel": channel, "table": table, "campaign": campaign}


async def say(table: Table, channel: int, author: int, text: str) -> TableReply:
    replies = await table.handle(PlayerMessage(channel, next(_ids), author, f"p{author}", text))
    assert len(replies) == 1
    return replies[0]


async def _skip_to(f: dict[str, Any], wanted: str) -> TurnPassed | None:
    """The owner skips turns until `wanted` (a character id) is up."""
    last = None
    for _ in range(10):
        state = f["table"].state_of(f["channel"])
        combat = state.combat
        if combat.combatants[combat.turn_index].id == wanted:
            return last
        last = (await say(f["table"], f["channel"], OWNER, "!skip")).result
        assert isinstance(last, TurnPassed), last
    raise AssertionError(f"{wanted} never came up")


async def test_a_fight_is_saved_turn_by_turn_and_a_fresh_table_sees_the_same(fight: dict[str, Any]) -> None:
    table, channel = fight["table"], fight["channel"]
    started = (await say(table, channel, OWNER, "!initiative add goblin 3")).result
    assert isinstance(started, CombatStatus) and started.event == "started"
    assert {r["id"] for r in started.order} == {f"pc-{BROM}", f"pc-{MIRA}", "goblin-1", "goblin-2", "goblin-3"}

    await _skip_to(fight, f"pc-{BROM}")
    denied = await say(table, channel, MIRA, "!attack goblin 1")  # Brom's turn, not Mira's
    assert denied.kind == "denial" and "it is Brom's turn" in denied.result.reason  # type: ignore[union-attr]
    hit = (await say(table, channel, BROM, "!attack goblin 1 longsword")).result
    assert isinstance(hit, AttackDone) and hit.weapon == "Longsword" and hit.in_combat
    assert table.state_of(channel).creatures["goblin-1"].hp == hit.hp_after
    passed = (await say(table, channel, BROM, "!next")).result
    assert isinstance(passed, TurnPassed) and passed.ended == "Brom"

    refused = await say(table, channel, BROM, "!skip")  # owner-only
    assert refused.kind == "error" and "owner" in refused.result.reason  # type: ignore[union-attr]
    await _skip_to(fight, f"pc-{MIRA}")
    spell = (await say(table, channel, MIRA, "!cast magic misile on goblin 2")).result  # fuzzy name
    assert isinstance(spell, SpellCast) and spell.spell == "Magic Missile" and spell.slot_level == 1
    goblin = table.state_of(channel).creatures["goblin-2"]
    assert 6 <= spell.targets[0].damage <= 15 and goblin.hp == max(0, 7 - spell.targets[0].damage)  # 3d4+3
    assert goblin.dead == (goblin.hp == 0) and spell.slots_left == 3

    mine = table.state_of(channel)
    fresh = Table(store=PlayStateRepository(fight["db"]), messages=MessageLog(fight["db"]), rules=fight["rules"],
                  owner_id=OWNER)  # fmt: skip
    order = (await say(fresh, channel, BROM, "!turn_order")).result
    loaded = fresh.state_of(channel)
    assert loaded.combat == mine.combat and loaded.creatures == mine.creatures
    assert {k: (c.hp, c.spell_slots) for k, c in loaded.characters.items()} == {
        k: (c.hp, c.spell_slots) for k, c in mine.characters.items()}
    assert isinstance(order, TurnOrder) and (order.round, order.current) == (mine.combat.round, f"pc-{MIRA}")
    assert {r["id"]: r["hp"] for r in order.order}["goblin-1"] == hit.hp_after

    early = await say(fresh, channel, BROM, "!end_combat")  # Goblin 3 still stands
    assert early.kind == "error" and "Goblin 3" in early.result.reason  # type: ignore[union-attr]
    ended = await say(fresh, channel, OWNER, "!end_combat")
    assert ended.kind == "command_result" and fresh.state_of(channel).combat is None
    assert (await fight["repo"].load(fight["campaign"].id)).state["combat"] is None
    assert "goblin-3" in (await fight["repo"].load(fight["campaign"].id)).state["creatures"]

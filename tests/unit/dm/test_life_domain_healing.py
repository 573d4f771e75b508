"""Disciple of Life and Supreme Healing wherever a character's healing spell heals (`!cast`), on a hand-built
context; the spell record is the SRD 5.1 text of Cure Wounds."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import parse_invocation
from game.character import Character
from game.creation import create_character, standard_array
from game.dice import seeded
from game.effects import GameState
from game.slots import slots_for

load_all()

CURE_WOUNDS = {
    "name": "Cure Wounds", "level": 1, "concentration": False,
    "description": "A creature you touch regains a number of hit points equal to 1d8 + your spellcasting ability "
                   "modifier. This spell has no effect on undead or constructs.",
    "higher_levels": "When you cast this spell using a spell slot of 2nd level or higher, the healing increases by "
                     "1d8 for each slot level above 1st.",
    "classes": ["bard", "cleric", "druid", "paladin", "ranger"],
}  # fmt: skip
TESSA = Caller(4, "tessa")


@dataclass(frozen=True)
class _Match:
    record: dict[str, Any]


class _Book:
    async def lookup(self, kind: str, name: str) -> _Match:
        assert kind == "spell" and name.lower() == "cure wounds"
        return _Match(dict(CURE_WOUNDS))

    async def search(self, text: str, limit: int = 10) -> list[Any]:
        return []


def _party(cleric_level: int) -> GameState:
    scores = standard_array({"wis": 15, "con": 14, "str": 13, "dex": 12, "cha": 10, "int": 8})
    tessa = create_character("Tessa", "human", "cleric", scores, ["medicine", "religion"], player_id=4)
    assert tessa.subclass == "Life Domain"  # the SRD's domain, chosen at 1st level
    tessa.id, tessa.level, tessa.spell_slots = "pc-4", cleric_level, slots_for("full", cleric_level)  # Wis 16: +3
    brom = Character(id="pc-3", name="Brom", race="Dwarf", class_name="Fighter", level=5, hp=1, max_hp=60,
                     player_id=3)  # fmt: skip
    return GameState(characters={"pc-4": tessa, "pc-3": brom})


async def _cast(state: GameState, line: str) -> tuple[Any, GameState]:
    ctx = CommandContext(caller=TESSA, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                         rules=_Book(), rng=random.Random(3))  # fmt: skip
    invocation = parse_invocation(line)
    assert invocation is not None
    with seeded(1):
        result = await invocation.spec.handler(ctx, **invocation.args)
    return result, ctx.state


async def test_life_cleric_cure_wounds_heals_two_plus_the_spell_level_more() -> None:
    result, after = await _cast(_party(5), "!cast cure wounds at 2 on brom")
    assert result.dice == "2d8+3+4"  # 2d8 + Wis 3, + 2 + spell level 2 (Disciple of Life)
    rolled = result.damage_roll["total"]
    assert 2 + 3 + 4 <= rolled <= 16 + 3 + 4
    assert after.characters["pc-3"].hp == 1 + rolled


async def test_supreme_healing_uses_each_dies_maximum_at_17th() -> None:
    result, after = await _cast(_party(17), "!cast cure wounds on brom")
    assert result.dice == "11+3"  # 1d8 at its maximum 8 + Wis 3, then Disciple of Life 3
    assert after.characters["pc-3"].hp == 1 + 14

"""The Dodge action at the table (no database): `!dodge`, `!attack` and the DM turn's creature attacks against
a dodger (disadvantage), a dodger's Dexterity save (advantage)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from game.character import Character
from game.combat import Combatant, CombatState
from game.creation import create_character, standard_array
from game.effects import Creature, TurnAdvance

from dm.commands.registry import REGISTRY, parse_invocation
from dm.errors import BadArguments
from dm.reply import RollRequest
from dm.rolls import engine_rolls
from game.combat import is_dodging
from game.dice import seeded
from game.effects import Dodge, GameState
from game.errors import RulesError
from game.validation import apply_effects
from gateway.render.text import render_text
from persistence.interfaces import RulesMatch

load_all()

BROM = Caller(3, "brom")
GOBLIN = {"name": "Goblin", "actions": [{"name": "Scimitar", "description": "Melee Weapon Attack: +4 to hit, reach "
                                                                          "5 ft., one target. Hit: 5 (1d6 + 2) "
                                                                          "slashing damage."}]}  # fmt: skip


class _Rules:
    async def lookup(self, kind: str, name: str) -> RulesMatch:
        if kind == "monster" and name.lower() == "goblin":
            return RulesMatch("monsters", "Goblin", GOBLIN, exact=True, score=100.0)
        raise LookupError(name)


def _brom() -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=3)
    who.id = "pc-3"
    return who


def _fight(order: list[str], turn: int = 0) -> GameState:
    goblin = Creature(id="goblin-1", name="Goblin", hp=30, max_hp=30, armor_class=15, dexterity=14)
    state = GameState(characters={"pc-3": _brom()}, creatures={"goblin-1": goblin})
    rows = tuple(Combatant(id=c, name="Brom" if c == "pc-3" else "Goblin", initiative=20 - i,
                           is_player=c == "pc-3") for i, c in enumerate(order))  # fmt: skip
    return state.model_copy(update={"combat": CombatState(combatants=rows, turn_index=turn)})


def _ctx(state: GameState) -> CommandContext:
    return CommandContext(caller=BROM, channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1), state=state,
                          rng=random.Random(3))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


def _dodging(state: GameState, cid: str) -> GameState:
    after, (outcome,) = apply_effects(state, [Dodge(actor=cid)])
    assert outcome.accepted
    return after


async def test_dodge_on_ones_turn_marks_the_character_until_their_next_turn() -> None:
    spec = REGISTRY.require("dodge")
    assert not spec.out_of_turn and spec.needs_character and not spec.owner_only  # the table checks the turn
    ctx = _ctx(_fight(["pc-3", "goblin-1"]))
    result = await run(ctx, "!dodge")
    assert result.command == "dodge" and [a["target"] for a in result.applied] == ["Brom"]
    assert is_dodging(ctx.state.combat, "pc-3") and "Dodge action" in render_text(result)


async def test_dodge_with_words_after_it_or_outside_a_fight_is_refused() -> None:
    with pytest.raises(BadArguments):
        parse_invocation("!dodge the goblin")
    ctx = _ctx(_fight(["pc-3", "goblin-1"]).model_copy(update={"combat": None}))
    with pytest.raises(RulesError):
        await run(ctx, "!dodge")
    assert ctx.state.combat is None


async def test_an_attack_on_a_dodger_has_disadvantage() -> None:
    state = _fight(["goblin-1", "pc-3"])
    plain = await run(_ctx(state), "!attack goblin")
    assert plain.advantage == "none" and len(plain.attack_roll["rolls"]) == 1
    dodged = await run(_ctx(_dodging(state, "goblin-1")), "!attack goblin")
    assert dodged.advantage == "disadvantage" and len(dodged.attack_roll["rolls"]) == 2


async def test_a_creatures_attack_on_a_dodging_character_has_disadvantage() -> None:
    state = _dodging(_fight(["pc-3", "goblin-1"]), "pc-3")
    state, (passed,) = apply_effects(state, [TurnAdvance(actor="pc-3")])  # the goblin's turn; Brom still dodges
    assert passed.accepted and is_dodging(state.combat, "pc-3")
    (roll,), done = await engine_rolls(state, [RollRequest(who="Goblin", kind="attack", target="Brom")],
                                       rules=_Rules(), seed=3)  # fmt: skip
    assert done is not None and roll.advantage == "disadvantage" and len(roll.detail["dice"]["attack"]) == 2
    assert "disadvantage" in roll.line


async def test_a_dodgers_dexterity_save_has_advantage_and_other_saves_do_not() -> None:
    state = _dodging(_fight(["pc-3", "goblin-1"]), "pc-3")
    with seeded(5):
        dex = await run(_ctx(state), "!save dex 12")
    wis = await run(_ctx(state), "!save wis 12")
    assert dex.advantage == "advantage" and wis.advantage == "none"
    (roll,), _ = await engine_rolls(state, [RollRequest(who="Brom", kind="saving_throw", ability_or_skill="dex",
                                                        dc=12)])  # fmt: skip
    assert roll.advantage == "advantage"

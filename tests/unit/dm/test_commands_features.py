"""`!use_feature` through the registry on a hand-built context (no database): success, bad arguments, refusal."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.features import FeatureUsed
from dm.commands.registry import REGISTRY, parse_invocation
from dm.errors import BadArguments, NoCharacter
from dm.state_view import state_view
from game.character import Character
from game.combat import Combatant, CombatState
from game.creation import create_character, level_up, standard_array
from game.dice import seeded
from game.effects import GameState
from game.errors import NotYourTurn, RulesError
from gateway.render.text import render_text
from gateway.render.text_features import _feature  # noqa: F401 - registers the renderer

load_all()

SCORES = {"cha": 15, "str": 14, "con": 13, "dex": 12, "wis": 10, "int": 8}


def _pc(player: int, name: str, race: str, cls: str, skills: list[str], level: int = 1) -> Character:
    who = create_character(name, race, cls, standard_array(SCORES), skills, player_id=player)
    who.id = f"pc-{player}"
    while who.level < level:
        level_up(who, milestone=True)
    return who


def _state() -> GameState:
    party = [
        _pc(1, "Grog", "half-orc", "barbarian", ["athletics", "survival"]),
        _pc(2, "Brom", "dwarf", "fighter", ["athletics", "perception"], level=2),
        _pc(3, "Vex", "human", "paladin", ["athletics", "insight"], level=2),
        _pc(4, "Kai", "human", "monk", ["acrobatics", "stealth"], level=3),
        _pc(5, "Lyra", "human", "bard", ["acrobatics", "arcana", "history"], level=5),
        _pc(6, "Mira", "human", "wizard", ["arcana", "history"], level=3),
    ]
    return GameState(characters={p.id: p for p in party if p.id})


def _ctx(player: int, state: GameState | None = None) -> CommandContext:
    return CommandContext(caller=Caller(player, f"player{player}"), channel_id=-1, campaign=CampaignInfo(1, "T", -1),
                          state=state or _state(), rng=random.Random(5))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


def test_the_command_is_registered_and_needs_a_character() -> None:
    spec = REGISTRY.require("use_feature")
    assert spec.needs_character and not spec.owner_only
    assert REGISTRY.get("uf") is spec


async def test_rage_starts_ends_and_is_refused_when_spent() -> None:
    ctx = _ctx(1)
    done = await run(ctx, "!use_feature rage")
    assert isinstance(done, FeatureUsed) and (done.key, done.remaining, done.maximum) == ("rage", 1, 2)
    assert ctx.state.characters["pc-1"].active_features == ["rage"]
    assert "flies into a rage" in render_text(done) and "1/2 uses left" in render_text(done)
    ended = await run(ctx, "!use_feature rage end")
    assert ended.ended and ctx.state.characters["pc-1"].active_features == []
    await run(ctx, "!use_feature RAGE")
    await run(ctx, "!use_feature rage stop")
    before = ctx.state
    with pytest.raises(RulesError) as refused:
        await run(ctx, "!use_feature rage")
    assert "no rages left until they finish a long rest" in refused.value.user_message
    assert "nothing was changed" in refused.value.user_message.lower()
    assert ctx.state == before


async def test_second_wind_heals_1d10_plus_fighter_level_through_the_engine() -> None:
    state = _state()
    brom = state.characters["pc-2"].model_copy(deep=True)
    brom.hp = 1
    ctx = _ctx(2, state.replace("pc-2", brom))
    with seeded(11):
        done = await run(ctx, "!use_feature secnd wind")  # a typo is fine
    assert done.key == "second_wind" and done.roll is not None
    assert done.roll["total"] == done.roll["rolls"][0]["value"] + 2  # 1d10 + fighter level 2
    assert ctx.state.characters["pc-2"].hp == 1 + done.healed == 1 + done.roll["total"]
    assert "regains" in render_text(done)
    with pytest.raises(RulesError, match="short or long rest"):
        await run(ctx, "!use_feature second wind")


async def test_lay_on_hands_heals_another_from_the_pool() -> None:
    state = _state()
    grog = state.characters["pc-1"].model_copy(deep=True)
    grog.hp = grog.max_hp - 7
    ctx = _ctx(3, state.replace("pc-1", grog))
    done = await run(ctx, "!use_feature lay on hands 5 @Grog")
    assert (done.target, done.healed, done.remaining, done.maximum) == ("Grog", 5, 5, 10)
    assert ctx.state.characters["pc-1"].hp == grog.max_hp - 2
    with pytest.raises(RulesError, match="only 5"):
        await run(ctx, "!use_feature lay on hands 6 @Grog")


async def test_ki_bardic_inspiration_and_arcane_recovery() -> None:
    ctx = _ctx(4)
    done = await run(ctx, "!use_feature ki 2")
    assert (done.spent, done.remaining, done.maximum) == (2, 1, 3)
    bard = await run(_ctx(5, ctx.state), "!use_feature bardic inspiration @Kai")
    assert (bard.target, bard.die, bard.remaining) == ("Kai", "d8", 2)
    assert "Kai gains a Bardic Inspiration die (d8)" in render_text(bard)
    state = ctx.state
    mira = state.characters["pc-6"].model_copy(deep=True)
    mira.spell_slots.spend(2)
    wiz = _ctx(6, state.replace("pc-6", mira))
    recovered = await run(wiz, "!use_feature arcane recovery 2")
    assert recovered.key == "arcane_recovery" and wiz.state.characters["pc-6"].spell_slots.current[2] == 2


@pytest.mark.parametrize(
    ("player", "line", "problem"),
    [
        (1, "!use_feature", "missing"),
        (1, "!use_feature juggling", "not a class feature"),
        (3, "!use_feature lay on hands @Grog", "How many"),
        (5, "!use_feature bardic inspiration", "Who gets"),
        (5, "!use_feature bardic inspiration @Lyra", "not yourself"),
        (4, "!use_feature ki 1 2", "One number"),
        (4, "!use_feature ki @Grog", "takes no target"),
        (6, "!use_feature arcane recovery", "slot level"),
        (1, "!use_feature mystic arcanum 5", "6, 7, 8 or 9"),
        (1, "!use_feature rage @Brom @Kai", "one target"),
    ],
)
async def test_bad_arguments_are_refused_with_the_usage(player: int, line: str, problem: str) -> None:
    ctx = _ctx(player)
    before = ctx.state
    with pytest.raises(BadArguments, match=problem):
        await run(ctx, line)
    assert ctx.state == before


async def test_a_feature_the_character_lacks_and_no_character_at_all() -> None:
    with pytest.raises(RulesError, match="does not have Rage"):
        await run(_ctx(6), "!use_feature rage")
    with pytest.raises(NoCharacter):
        await run(_ctx(99), "!use_feature rage")


async def test_in_a_fight_it_waits_for_your_turn_but_reactions_do_not() -> None:
    order = (Combatant(id="pc-2", name="Brom", initiative=15), Combatant(id="pc-1", name="Grog", initiative=10))
    state = _state().model_copy(update={"combat": CombatState(combatants=order)})
    with pytest.raises(NotYourTurn):
        await run(_ctx(1, state), "!use_feature rage")
    grog = state.characters["pc-1"].model_copy(deep=True)
    grog.hp = 0
    grog.add_condition("unconscious")
    ctx = _ctx(1, state.replace("pc-1", grog))
    done = await run(ctx, "!use_feature relentless endurance")
    assert done.key == "relentless_endurance" and ctx.state.characters["pc-1"].hp == 1


def test_campaign_state_shows_each_characters_resources() -> None:
    view = state_view("T", _state())
    by_name = {c["name"]: c for c in view["characters"]}
    assert by_name["Grog"]["resources"] == {"rage": {"max": 2, "remaining": 2},
                                            "relentless_endurance": {"max": 1, "remaining": 1}}  # fmt: skip
    assert by_name["Kai"]["resources"] == {"ki": {"max": 3, "remaining": 3}}
    assert by_name["Vex"]["resources"]["lay_on_hands"] == {"max": 10, "remaining": 10}


async def test_a_ki_option_by_name_spends_one_point_and_says_which() -> None:
    ctx = _ctx(4)
    done = await run(ctx, "!use_feature flury of blows")  # typo and all
    assert (done.key, done.option, done.spent, done.remaining) == ("ki", "Flurry of Blows", 1, 2)
    assert "Kai uses Ki for Flurry of Blows. 2/3 points left." == render_text(done)

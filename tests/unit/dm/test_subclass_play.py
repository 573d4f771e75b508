"""Subclass features wired into play (issue 15): Frenzy ends with exhaustion, on a hand-built context."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.registry import parse_invocation
from game.character import Character
from game.creation import create_character, standard_array
from game.effects import GameState, HpChange
from game.errors import RulesError
from game.leveling import level_up
from game.rests import long_rest
from gateway.render.text import render_text

load_all()


def _barbarian(subclass: str | None = "Path of the Berserker", level: int = 3) -> Character:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    who = create_character("Grog", "human", "barbarian", scores, ["athletics", "survival"], player_id=1)
    who.id = "pc-1"
    while who.level < level:
        level_up(who, subclass=subclass if who.level == 2 else None, milestone=True)
    return who


def _ctx(state: GameState, player: int = 1) -> CommandContext:
    return CommandContext(caller=Caller(player, f"p{player}"), channel_id=-1, campaign=CampaignInfo(1, "T", -1),
                          state=state, rng=random.Random(4))  # fmt: skip


async def run(ctx: CommandContext, line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


# --- Frenzy (Path of the Berserker 3) ---------------------------------------------------------------


async def test_a_frenzy_ended_by_command_leaves_one_level_of_exhaustion() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian()}))
    started = await run(ctx, "!use_feature rage frenzy")
    grog = ctx.state.characters["pc-1"]
    assert started.option == "Frenzy" and set(grog.active_features) == {"rage", "frenzy"}
    assert grog.resources["rage"].remaining == 2  # 3 rages at barbarian 3, one spent
    ended = await run(ctx, "!use_feature rage end")
    grog = ctx.state.characters["pc-1"]
    assert grog.active_features == [] and grog.exhaustion == 1
    assert "exhaustion level 1" in render_text(ended)
    await run(ctx, "!use_feature rage")  # a plain rage costs nothing when it ends
    await run(ctx, "!use_feature rage end")
    assert ctx.state.characters["pc-1"].exhaustion == 1


async def test_a_frenzy_ends_with_exhaustion_when_the_barbarian_drops_or_rests() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian()}))
    await run(ctx, "!use_feature frenzy")
    ctx.apply([HpChange(target="pc-1", amount=-200, source="ogre")])
    grog = ctx.state.characters["pc-1"]
    assert "rage" not in grog.active_features and grog.exhaustion == 1
    rested = _barbarian()
    rested.active_features = ["rage", "frenzy"]
    long_rest(rested)  # the frenzy's level comes first, then the rest removes one
    assert rested.exhaustion == 0 and rested.active_features == []


async def test_frenzy_needs_a_berserker_of_level_3() -> None:
    ctx = _ctx(GameState(characters={"pc-1": _barbarian(level=2)}))
    before = ctx.state
    with pytest.raises(RulesError, match="no Frenzy"):
        await run(ctx, "!use_feature rage frenzy")
    assert ctx.state == before


# --- !attack: Divine Strike, Colossus Slayer, Dark One's Blessing ------------------------------------

from game.combat import Combatant, CombatState  # noqa: E402
from game.dice import seeded  # noqa: E402
from game.effects import Creature, TurnAdvance  # noqa: E402


def _pc(name: str, cls: str, skills: list[str], level: int, player: int = 1, race: str = "human",
        choices: dict[str, str] | None = None, scores: dict[str, int] | None = None) -> Character:  # fmt: skip
    scores = scores or {"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}
    who = create_character(name, race, cls, standard_array(scores), skills, player_id=player)
    who.id = f"pc-{player}"
    while who.level < level:
        level_up(who, choices=choices if who.level + 1 == 3 else None, milestone=True)
    return who


def _ogre(hp: int = 59, cid: str = "ogre") -> Creature:
    return Creature(id=cid, name=cid.title(), hp=hp, max_hp=59, armor_class=1, dexterity=8)


def _in_fight(state: GameState, order: list[str]) -> GameState:
    rows = tuple(Combatant(id=c, name=c, initiative=20 - i, is_player=c in state.characters) for i, c in enumerate(order))
    return state.model_copy(update={"combat": CombatState(combatants=rows)})


async def _hit(state: GameState, line: str, want: Any = lambda r: r.hit and not r.critical) -> tuple[Any, CommandContext]:
    for seed in range(300):
        ctx = _ctx(state)
        with seeded(seed):
            result = await run(ctx, line)
        if want(result):
            return result, ctx
    raise AssertionError("no seed gave the attack wanted")


async def test_divine_strike_adds_1d8_radiant_once_a_turn_at_cleric_8() -> None:
    cleric = _pc("Tova", "cleric", ["insight", "medicine"], 8, scores={"wis": 15, "str": 14, "con": 13, "dex": 12,
                                                                          "cha": 10, "int": 8})  # fmt: skip
    assert cleric.subclass_of("cleric") == "Life Domain"
    state = _in_fight(GameState(characters={"pc-1": cleric}, creatures={"ogre": _ogre()}), ["pc-1", "ogre"])
    first, ctx = await _hit(state, "!attack ogre")
    (strike,) = first.extras
    assert strike["feature"] == "Divine Strike" and strike["damage_type"] == "radiant"
    assert strike["roll"]["expression"].startswith("1d8") and 1 <= strike["damage"] <= 8
    assert first.damage_dealt == first.damage + strike["damage"]
    assert ctx.state.creatures["ogre"].hp == 59 - first.damage_dealt
    assert "Divine Strike: " in render_text(first) and "radiant" in render_text(first)
    for seed in range(300):  # the same turn: no second strike
        with seeded(seed):
            again = await run(ctx, "!attack ogre")
        if again.hit:
            break
    assert again.hit and again.extras == ()
    ctx.apply([TurnAdvance(actor="pc-1"), TurnAdvance(actor="ogre")])  # the ogre's turn, then the cleric's again
    assert ctx.state.combat is not None and ctx.state.combat.once_per_turn == ()
    for seed in range(300):
        with seeded(seed):
            third = await run(ctx, "!attack ogre")
        if third.hit and not third.dead:
            break
    assert [x["feature"] for x in third.extras] == ["Divine Strike"]


async def test_divine_strike_is_2d8_at_14_and_absent_before_8() -> None:
    for level, dice in ((7, None), (14, "2d8")):
        cleric = _pc("Tova", "cleric", ["insight", "medicine"], level)
        result, _ = await _hit(GameState(characters={"pc-1": cleric}, creatures={"ogre": _ogre()}), "!attack ogre")
        assert [x["roll"]["expression"][:3] for x in result.extras] == ([dice] if dice else [])


async def test_colossus_slayer_needs_a_wounded_target_and_the_choice() -> None:
    ranger = _pc("Wren", "ranger", ["perception", "stealth", "survival"], 3,
                 choices={"hunter's prey": "colossus slayer"})  # fmt: skip
    fresh, _ = await _hit(GameState(characters={"pc-1": ranger}, creatures={"ogre": _ogre()}), "!attack ogre")
    assert fresh.extras == ()  # at its maximum: no extra die
    hurt, ctx = await _hit(GameState(characters={"pc-1": ranger}, creatures={"ogre": _ogre(40)}), "!attack ogre")
    (slayer,) = hurt.extras
    assert slayer["feature"] == "Colossus Slayer" and slayer["damage_type"] == hurt.damage_type
    assert 1 <= slayer["damage"] <= 8 and ctx.state.creatures["ogre"].hp == 40 - hurt.damage - slayer["damage"]
    other = _pc("Wren", "ranger", ["perception", "stealth", "survival"], 3, choices={"hunter's prey": "horde breaker"})
    plain, _ = await _hit(GameState(characters={"pc-1": other}, creatures={"ogre": _ogre(40)}), "!attack ogre")
    assert plain.extras == ()


async def test_dark_ones_blessing_on_dropping_a_hostile_with_an_attack() -> None:
    warlock = _pc("Zed", "warlock", ["arcana", "deception"], 3, scores={"cha": 15, "con": 14, "dex": 13, "str": 12,
                                                                       "wis": 10, "int": 8})  # fmt: skip
    assert warlock.subclass_of("warlock") == "The Fiend"
    dropped, ctx = await _hit(GameState(characters={"pc-1": warlock}, creatures={"ogre": _ogre(1)}), "!attack ogre")
    assert dropped.dead and dropped.temp_hp_gained == 3 + 3  # Cha 16 (+3) + warlock level 3
    assert ctx.state.characters["pc-1"].temp_hp == 6
    assert "Dark One's Blessing: Zed gains 6 temporary hit points." in render_text(dropped)
    standing, ctx = await _hit(GameState(characters={"pc-1": warlock}, creatures={"ogre": _ogre()}), "!attack ogre")
    assert standing.temp_hp_gained is None and ctx.state.characters["pc-1"].temp_hp == 0

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

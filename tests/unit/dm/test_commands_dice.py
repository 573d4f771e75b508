"""`!roll` the way players type it: Avrae's trailing comment, `# comment`, `--dc N`, and checks by name."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dm.commands import load_all
from dm.commands.context import CampaignInfo, Caller, CommandContext
from dm.commands.dice import RollDone
from dm.commands.registry import parse_invocation
from dm.errors import BadArguments, NoCharacter
from game.effects import GameState
from game.errors import DiceError

load_all()


def _ctx() -> CommandContext:
    return CommandContext(caller=Caller(2, "mira"), channel_id=-1, campaign=CampaignInfo(1, "Test Keep", -1),
                          state=GameState(), services=None, rng=random.Random(1))


async def run(line: str) -> Any:
    invocation = parse_invocation(line)
    assert invocation is not None
    ctx = _ctx()
    ctx.command = invocation.spec.name
    return await invocation.spec.handler(ctx, **invocation.args)


@pytest.mark.parametrize(("line", "label", "comment"), [
    ("!r 1d20+5 Attack on goblin", "1d20+5", "Attack on goblin"),
    ("!roll 2d6+3 fire damage to the ogre", "2d6+3", "fire damage to the ogre"),
    ("!roll 1d20+5 adv Attack on goblin", "1d20+5", "Attack on goblin"),
    ("!roll 4d6kh3 strength score", "4d6kh3", "strength score"),
    ("!roll 1d20+5 # to hit", "1d20+5", "to hit"),
])
async def test_trailing_words_after_dice_are_a_comment(line: str, label: str, comment: str) -> None:
    done = await run(line)
    assert isinstance(done, RollDone)
    assert done.label == label and done.comment == comment


async def test_trailing_comment_keeps_advantage_and_dc() -> None:
    done = await run("!roll 1d20+5 adv --dc 10 swing at the goblin")
    assert done.advantage == "advantage" and done.dc == 10 and done.comment == "swing at the goblin"
    assert len(done.roll["rolls"]) == 2


@pytest.mark.parametrize("line", ["!roll dex save", "!roll sleight of hand adv", "!roll perception",
                                  "!roll wisdom saving throw", "!roll perception to spot the thief"])
async def test_checks_by_name_are_still_checks(line: str) -> None:
    with pytest.raises(NoCharacter):          # a check needs the caller's character: it was read as one
        await run(line)


@pytest.mark.parametrize("line", ["!roll goblin attack", "!roll 1d20+ attack", "!roll 0d6 nothing"])
async def test_words_without_valid_dice_are_still_refused(line: str) -> None:
    with pytest.raises((DiceError, BadArguments)):
        await run(line)


async def test_rules_switched_off_says_so_not_that_the_database_is_down() -> None:
    from dm.commands.context import Caller, CommandContext
    from dm.commands.rules import rules_command
    from dm.errors import Unavailable
    from game.effects import GameState

    ctx = CommandContext(caller=Caller(1, "mira"), channel_id=1, campaign=None, state=GameState(),
                         rules_off="it is switched off in this game (--no-rules)")  # fmt: skip
    with pytest.raises(Unavailable) as refused:
        await rules_command(ctx, "spell fireball")
    assert "--no-rules" in refused.value.user_message and "right now" not in refused.value.user_message

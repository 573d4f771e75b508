"""Dice: `!roll` (an expression, or a skill, ability or save with the caller's modifiers) and `!save`.

A check rolled for a character takes its real modifier (ability, proficiency, expertise, Jack of All
Trades) and the advantage its conditions give (poisoned, frightened, exhaustion, restrained Dex saves);
a condition that makes a save fail outright (paralyzed Str/Dex saves) is reported, not rolled.
"""

from __future__ import annotations

import re
from typing import Any

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments, NoCharacter
from game.abilities import ABILITIES, ABILITY_ABBREVIATIONS, SKILLS, ability_name, skill_name
from game.character import Character
from game.combat import dodge_save_advantage, is_dodging
from game.conditions import check_roll_modifier, save_roll_modifier
from game.dice import Advantage, combine_advantage, parse_expression, roll, roll_d20
from game.errors import DiceError, RulesError
from game.resources import is_lucky

__all__ = ["RollDone", "check_roll"]

_ADV_WORDS = {"adv": Advantage.ADVANTAGE, "advantage": Advantage.ADVANTAGE,
              "dis": Advantage.DISADVANTAGE, "disadvantage": Advantage.DISADVANTAGE}  # fmt: skip
_DC = re.compile(r"(?:--dc|dc)\s*=?\s*(\d{1,2})\b", re.IGNORECASE)
ROLL_USAGE = "!roll EXPR | SKILL | ABILITY [save] [adv|dis] [dc N]"


class RollDone(CommandResult):
    """A roll: `label` says what was rolled ("Perception check", "Dexterity save", "2d6+3")."""

    type: str = "roll"
    who: str
    label: str
    roll: dict[str, Any]  # game.dice.DiceRoll.to_dict()
    modifier: int | None = None
    advantage: str = "none"
    dc: int | None = None
    success: bool | None = None
    auto_fail: bool = False
    comment: str = ""


def _words(text: str) -> tuple[list[str], Advantage, int | None]:
    dc_match = _DC.search(text)
    dc = int(dc_match.group(1)) if dc_match else None
    text = _DC.sub(" ", text)
    words = text.split()
    modes = [_ADV_WORDS[w.lower()] for w in words if w.lower() in _ADV_WORDS]
    words = [w for w in words if w.lower() not in _ADV_WORDS]
    mode = combine_advantage(*modes)
    return words, mode, dc


def _check_target(words: list[str]) -> tuple[str, str] | None:
    """("skill", key) / ("save", ability) / ("check", ability) when the words name one, else None."""
    if not words:
        return None
    lowered = [w.lower() for w in words]
    save = lowered[-1] in ("save", "saving", "st") or lowered[-2:] == ["saving", "throw"]
    core = [w for w in lowered if w not in ("save", "saving", "throw", "st", "check")]
    name = " ".join(core)
    if not name:
        return None
    if name in ABILITIES or name in ABILITY_ABBREVIATIONS:
        return ("save" if save else "check", ability_name(name))
    if not save:
        key = name.replace(" ", "_").replace("-", "_")
        if key in SKILLS:
            return ("skill", skill_name(key))
    return None


def _split_comment(words: list[str]) -> tuple[list[str], str]:
    """Avrae's habit, `!r 1d20+5 Attack on goblin`: the longest run of leading words that is a check or valid
    dice, and the trailing words (starting with a letter) as its comment; the words unchanged if none is."""
    if _check_target(words) is not None:
        return words, ""
    try:
        parse_expression(" ".join(words))
        return words, ""
    except DiceError:
        pass
    for cut in range(len(words) - 1, 0, -1):
        head, rest = words[:cut], words[cut:]
        if not rest[0][:1].isalpha() or re.fullmatch(r"\d*d\d+.*", rest[0], re.IGNORECASE):
            continue                      # "1d20 + 5" or "1d20 d6" are dice gone wrong, not a comment
        if _check_target(head) is not None:
            return head, " ".join(rest)
        try:
            parse_expression(" ".join(head))
        except DiceError:
            continue
        return head, " ".join(rest)
    return words, ""


def check_roll(who: Character, kind: str, key: str, mode: Advantage, dc: int | None, *,
               dodging: bool = False) -> RollDone:  # fmt: skip
    """Roll a skill check, ability check or saving throw for `who` with its modifiers and conditions (`dodging`:
    they took the Dodge action, `game.combat.is_dodging`: a Dexterity save has advantage)."""
    if kind == "save":
        modifier = who.saving_throw_bonus(key)
        extra = dodge_save_advantage(dodging, key, who.conditions, who.exhaustion)
        rule = save_roll_modifier(who.conditions, key, who.exhaustion,
                                  circumstances=((mode,) if mode else ()) + extra)  # fmt: skip
        label = f"{key.capitalize()} save"
    else:
        modifier = who.skill_modifier(key) if kind == "skill" else who.modifier(key) + (
            who.proficiency_bonus // 2 if who.proficiencies.jack_of_all_trades else 0)
        rule = check_roll_modifier(who.conditions, who.exhaustion, circumstances=(mode,) if mode else ())
        label = f"{key.replace('_', ' ').title()} check" if kind == "skill" else f"{key.capitalize()} check"
    if rule.auto_fail:
        return RollDone(who=who.name, label=label, roll={"expression": "", "total": 0, "rolls": []}, modifier=modifier,
                        dc=dc, success=False if dc is not None else None, auto_fail=True,
                        comment=f"{who.name}'s conditions make this fail outright.")  # fmt: skip
    result = roll_d20(modifier, dc=dc, advantage=rule.mode, lucky=is_lucky(who))  # Lucky: a halfling rerolls a 1
    return RollDone(who=who.name, label=label, roll=result.to_dict(), modifier=modifier,
                    advantage=rule.mode.name.lower(), dc=dc, success=result.success)  # fmt: skip


@command(
    "roll",
    aliases=("r",),
    area="dice",
    args=(Arg("what", ArgKind.TEXT, help="dice (2d6+3), a skill (perception), an ability (dex) or a save (dex save)"),),
    help="Roll dice, or a check or save with your character's modifiers.",
    examples=("!roll 1d20+5 advantage", "!roll perception", "!roll dex save", "!roll stealth adv", "!roll 2d6+3"),
)
async def roll_command(ctx: CommandContext, what: str) -> RollDone:
    comment = ""
    text = what
    if "#" in text:  # "!roll 1d20+5 # to hit the goblin"
        text, _, comment = text.partition("#")
    words, mode, dc = _words(text)
    words, trailing = _split_comment(words)
    comment = " ".join(part for part in (trailing, comment.strip()) if part)
    target = _check_target(words)
    if target is not None:
        found = ctx.state.character_of(ctx.caller.player_id)
        if found is None:
            raise NoCharacter()
        done = check_roll(found[1], target[0], target[1], mode, dc, dodging=is_dodging(ctx.state.combat, found[0]))
        return done.model_copy(update={"comment": comment.strip()}) if comment.strip() else done
    if not words:
        raise BadArguments("What should I roll?", ROLL_USAGE)
    expression = " ".join(words)
    result = roll(expression, dc=dc, advantage=mode)
    return RollDone(who=ctx.caller.name, label=expression, roll=result.to_dict(), advantage=result.advantage.name.lower(),
                    dc=dc, success=result.success, comment=comment.strip())  # fmt: skip


@command(
    "save",
    area="dice",
    args=(Arg("ability", help="strength, dex, con, …"), Arg("dc", ArgKind.INT, required=False)),
    help="Roll a saving throw with your character's modifier (against a DC if given).",
    needs_character=True,
    examples=("!save dex 15", "!save wisdom"),
)
async def save_command(ctx: CommandContext, ability: str, dc: int | None = None) -> RollDone:
    try:
        key = ability_name(ability)
    except RulesError:
        raise BadArguments(f"{ability!r} is not an ability.", "!save ABILITY [DC]") from None
    if dc is not None and not 1 <= dc <= 40:
        raise BadArguments(f"A DC of {dc} is not possible (1 to 40).", "!save ABILITY [DC]")
    cid, who = ctx.my_character()
    return check_roll(who, "save", key, Advantage.NONE, dc, dodging=is_dodging(ctx.state.combat, cid))

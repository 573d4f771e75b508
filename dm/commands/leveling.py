"""Levelling up: `!level_up [CLASS] [SUBCLASS] [land=forest] [prey=colossus slayer] [skill=stealth]`.

A player whose XP has reached the next level's threshold gains a level through `game.leveling.level_up`
(average hit points): in their class, or in another one (multiclassing, whose prerequisites the engine
checks and refuses with its own sentence). A subclass reached at this level is the one named or the SRD's;
a subclass choice it needs (Circle of the Land's land at druid 2, the Hunter's Prey at ranger 3, the dragon
ancestor at sorcerer 1) is taken from `key=value` words or defaulted, and the result says which.
"""

from __future__ import annotations

from typing import Final

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments
from game.character import Character
from game.classes import get_class
from game.creation import XP_THRESHOLDS
from game.errors import RulesError
from game.leveling import level_up as engine_level_up
from game.subclasses import check_choices, resolve_subclass

__all__ = ["CHOICE_WORDS", "LevelledUp", "parse_level_up"]

USAGE: Final = "!level_up [CLASS] [SUBCLASS] [land=LAND] [prey=OPTION] [skill=SKILL]"
_KEYS: Final[dict[str, str]] = {
    "land": "land", "circle": "land", "terrain": "land",
    "dragon": "dragon ancestor", "ancestor": "dragon ancestor", "dragon_ancestor": "dragon ancestor",
    "prey": "hunter's prey", "hunters_prey": "hunter's prey", "hunter's_prey": "hunter's prey",
    "tactics": "defensive tactics", "defensive_tactics": "defensive tactics", "multiattack": "multiattack",
    "defense": "superior hunter's defense", "superior_hunters_defense": "superior hunter's defense",
}  # fmt: skip
# The word a player types for each choice (`land=forest`), by choice.
CHOICE_WORDS: Final[dict[str, str]] = {
    "land": "land", "dragon ancestor": "dragon", "hunter's prey": "prey", "defensive tactics": "tactics",
    "multiattack": "multiattack", "superior hunter's defense": "defense",
}  # fmt: skip
# Choices a subclass needs at a class level, and the default when the player names none.
_NEEDED: Final[dict[tuple[str, int], tuple[str, str]]] = {
    ("circle of the land", 2): ("land", "forest"),
    ("hunter", 3): ("hunter's prey", "colossus slayer"),
    ("hunter", 7): ("defensive tactics", "multiattack defense"),
    ("hunter", 11): ("multiattack", "volley"),
    ("hunter", 15): ("superior hunter's defense", "evasion"),
    ("draconic bloodline", 1): ("dragon ancestor", "red"),
}


class LevelledUp(CommandResult):
    """A character gained a level: what changed, and any subclass choice that was defaulted."""

    type: str = "levelled_up"
    who: str
    level: int
    class_name: str
    class_level: int
    subclass: str | None = None
    hp_gained: int
    max_hp: int
    proficiency_bonus: int
    new_features: tuple[str, ...] = ()
    choices: dict[str, str] = {}  # subclass choices made at this level
    defaulted: tuple[str, ...] = ()  # which of `choices` were picked for the player
    multiclass: bool = False
    xp: int
    next_xp: int | None = None  # the XP for the level after this one (None at 20th)


def parse_level_up(text: str | None) -> tuple[str | None, str | None, dict[str, str], list[str]]:
    """`"druid land=arctic"` → ("druid", None, {"land": "arctic"}, []); `"wizard evocation"` → ("wizard",
    "evocation", {}, []). `key=value` words (underscores for spaces) are choices, `skill=X` a skill."""
    choices: dict[str, str] = {}
    skills: list[str] = []
    words: list[str] = []
    for token in (text or "").split():
        if "=" not in token:
            words.append(token)
            continue
        key, _, value = token.partition("=")
        key, value = key.strip().lower(), value.replace("_", " ").strip()
        if not value:
            raise BadArguments(f"{key}= needs a value, e.g. land=forest.", USAGE)
        if key in ("skill", "skills"):
            skills.extend(v for v in value.split(",") if v)
        elif key in _KEYS:
            choices[_KEYS[key]] = value
        else:
            known = "land, dragon, prey, tactics, multiattack, defense, skill"
            raise BadArguments(f"{key!r} is not something to choose at a level-up (choices: {known}).", USAGE)
    if not words:
        return None, None, choices, skills
    try:
        get_class(words[0])
    except RulesError:
        raise BadArguments(f"{words[0]!r} is not a class. Name a class, or nothing for your own.", USAGE) from None
    return words[0], " ".join(words[1:]) or None, choices, skills


def _defaults(who: Character, class_name: str, subclass: str | None, choices: dict[str, str]) -> list[str]:
    """Fill a needed subclass choice the player didn't name (in place); the keys defaulted."""
    info = get_class(class_name)
    level = who.class_level(info.name) + 1
    sub = who.subclass_of(info.name) or resolve_subclass(info.name, level, subclass)
    needed = _NEEDED.get(((sub or "").lower(), level))
    if needed is None or needed[0] in choices or needed[0] in who.choices:
        return []
    choices[needed[0]] = needed[1]
    return [needed[0]]


@command(
    "level_up",
    aliases=("levelup", "lvl"),
    area="character",
    args=(Arg("what", ArgKind.TEXT, required=False, help="a class, a subclass, choices like land=forest"),),
    help="Gain a level once your XP reaches the next threshold (average hit points).",
    details="Name another class to multiclass into it (the SRD's prerequisites apply). A subclass choice is "
    "named with key=value: land=forest (Circle of the Land, druid 2), prey=colossus_slayer (Hunter, ranger 3), "
    "dragon=red (Draconic Bloodline); without one a sensible default is taken and shown.",
    needs_character=True,
    examples=("!level_up", "!level_up fighter", "!level_up druid land=arctic", "!level_up ranger prey=horde_breaker"),
)  # fmt: skip
async def level_up(ctx: CommandContext, what: str | None = None) -> LevelledUp:
    class_name, subclass, choices, skills = parse_level_up(what)
    cid, me = ctx.my_character()
    who = me.model_copy(deep=True)
    target = class_name or who.class_name
    try:
        check_choices(choices)
        defaulted = _defaults(who, target, subclass, choices)
        new_class = who.class_level(get_class(target).name) == 0
        done = engine_level_up(who, class_name=target, subclass=subclass, skills=skills, choices=choices,
                               hp_method="average")  # fmt: skip
    except RulesError as exc:
        text = str(exc)
        if "nothing was changed" not in text.lower():
            text = f"{text.rstrip('.')}; nothing was changed."
        raise RulesError(text) from None
    ctx.put(cid, who)
    return LevelledUp(
        who=who.name, level=done.level, class_name=done.class_name, class_level=done.class_level,
        subclass=done.subclass, hp_gained=done.hp_gained, max_hp=done.max_hp, proficiency_bonus=done.proficiency_bonus,
        new_features=tuple(done.new_features), choices=check_choices(choices), defaulted=tuple(defaulted),
        multiclass=new_class, xp=who.xp, next_xp=XP_THRESHOLDS[done.level] if done.level < 20 else None,
    )  # fmt: skip



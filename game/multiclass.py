"""Multiclassing (SRD 5.1 p. 56–58): prerequisites, proficiencies gained, hit points, spell slots.

A character's classes are a list of `ClassLevel` in the order taken; the first is the primary class.
Prerequisites: 13 in the listed abilities for both the current classes and the new one. A new class
gives only the reduced "Multiclassing Proficiencies". Hit points for a new class's level are its
fixed average + Con (the 1st-level maximum only for a 1st-level character). Spell slots: with
Spellcasting from two or more classes, full-caster levels + half of paladin and ranger levels
(rounded down) index the Multiclass Spellcaster table (= the full-caster table); Pact Magic is kept
separately alongside. Extra Attack doesn't stack, Unarmored Defense is gained only once, Channel
Divinity uses come from the class level that grants the most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from game.abilities import ABILITIES, ability_modifier, skill_name
from game.classes import get_class
from game.errors import RulesError
from game.slots import FULL_CASTER_SLOTS, SpellSlots, slots_for

__all__ = [
    "MULTICLASS_PROFICIENCIES",
    "PREREQUISITES",
    "ClassLevel",
    "GainedProficiencies",
    "MulticlassError",
    "attacks_per_action",
    "caster_level",
    "channel_divinity_uses",
    "check_multiclass",
    "class_level",
    "hit_dice_pool",
    "hit_dice_to_spend",
    "hp_for_class_level",
    "meets_prerequisites",
    "multiclass_spell_slots",
    "proficiencies_gained",
    "unarmored_defense",
]


class MulticlassError(RulesError):
    """A level in a new class refused (prerequisites or choices)."""


class ClassLevel(BaseModel):
    """Levels in one class, and its subclass once chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    subclass: str | None = None
    level: int = Field(1, ge=1, le=20)


# Alternatives (any of), each a set of abilities that all need 13.
PREREQUISITES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "barbarian": (("strength",),),
    "bard": (("charisma",),),
    "cleric": (("wisdom",),),
    "druid": (("wisdom",),),
    "fighter": (("strength",), ("dexterity",)),
    "monk": (("dexterity", "wisdom"),),
    "paladin": (("strength", "charisma"),),
    "ranger": (("dexterity", "wisdom"),),
    "rogue": (("dexterity",),),
    "sorcerer": (("charisma",),),
    "warlock": (("charisma",),),
    "wizard": (("intelligence",),),
}
MINIMUM: Final = 13


class GainedProficiencies(BaseModel):
    model_config = ConfigDict(frozen=True)

    armor: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


# class → (armor, weapons, tools, skills to choose, choose from the class list)
MULTICLASS_PROFICIENCIES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], int, bool]]] = {
    "barbarian": (("shields",), ("simple", "martial"), (), 0, False),
    "bard": (("light",), (), ("one musical instrument",), 1, False),
    "cleric": (("light", "medium", "shields"), (), (), 0, False),
    "druid": (("light", "medium", "shields"), (), (), 0, False),
    "fighter": (("light", "medium", "shields"), ("simple", "martial"), (), 0, False),
    "monk": ((), ("simple", "shortsword"), (), 0, False),
    "paladin": (("light", "medium", "shields"), ("simple", "martial"), (), 0, False),
    "ranger": (("light", "medium", "shields"), ("simple", "martial"), (), 1, True),
    "rogue": (("light",), (), ("thieves' tools",), 1, True),
    "sorcerer": ((), (), (), 0, False),
    "warlock": (("light",), ("simple",), (), 0, False),
    "wizard": ((), (), (), 0, False),
}

_EXTRA_ATTACK: Final[dict[str, tuple[tuple[int, int], ...]]] = {  # class → (level, attacks) steps
    "barbarian": ((5, 2),),
    "fighter": ((5, 2), (11, 3), (20, 4)),
    "monk": ((5, 2),),
    "paladin": ((5, 2),),
    "ranger": ((5, 2),),
}
_CHANNEL_DIVINITY: Final[dict[str, tuple[tuple[int, int], ...]]] = {
    "cleric": ((2, 1), (6, 2), (18, 3)),
    "paladin": ((3, 1),),
}


def _key(name: str) -> str:
    return get_class(name).key


def _ability_scores(scores: Mapping[str, int] | object) -> Mapping[str, int]:
    if isinstance(scores, Mapping):
        return scores
    return {a: getattr(scores, a) for a in ABILITIES}


def meets_prerequisites(class_name: str, scores: Mapping[str, int] | object) -> bool:
    """Whether the scores meet the class's multiclassing minimum (13 in its abilities)."""
    values = _ability_scores(scores)
    return any(all(values[a] >= MINIMUM for a in group) for group in PREREQUISITES[_key(class_name)])


def _requirement(class_name: str) -> str:
    groups = PREREQUISITES[_key(class_name)]
    return " or ".join(" and ".join(f"{a.title()} {MINIMUM}" for a in group) for group in groups)


def check_multiclass(current: Sequence[str], new_class: str, scores: Mapping[str, int] | object) -> None:
    """Refuse a first level in `new_class` unless the scores meet the minimum of every current class and
    of the new one (SRD p. 56).

    Raises:
        MulticlassError: a sentence naming each unmet minimum.
    """
    info = get_class(new_class)
    keys = [_key(c) for c in current]
    if info.key in keys:
        return
    missing = [c for c in dict.fromkeys([*keys, info.key]) if not meets_prerequisites(c, scores)]
    if missing:
        needs = "; ".join(f"{get_class(c).name} needs {_requirement(c)}" for c in missing)
        raise MulticlassError(
            f"Multiclassing into {info.name} needs 13 in the abilities of both the old and the new class ({needs}). "
            "Nothing was changed."
        )


def proficiencies_gained(class_name: str, skills: Sequence[str] = ()) -> GainedProficiencies:
    """What a first level in a second (or later) class gives (the SRD's Multiclassing Proficiencies table).

    Raises:
        MulticlassError: the wrong number of skills, or a skill not on the class's list.
    """
    info = get_class(class_name)
    armor, weapons, tools, count, from_list = MULTICLASS_PROFICIENCIES[info.key]
    keys = tuple(dict.fromkeys(skill_name(s) for s in skills))
    if len(keys) != count:
        raise MulticlassError(f"Multiclassing into {info.name} gives {count} skill(s) of your choice, not {len(keys)}.")
    if from_list and info.skill_options and any(k not in info.skill_options for k in keys):
        raise MulticlassError(f"{info.name} skills are chosen from: {', '.join(info.skill_options)}.")
    return GainedProficiencies(armor=armor, weapons=weapons, tools=tools, skills=keys)


def hp_for_class_level(class_name: str, constitution: int) -> int:
    """Fixed hit points for a level after 1st in a class: its hit die average + Con modifier, at least 1."""
    return max(1, get_class(class_name).hit_die_average + ability_modifier(constitution))


def class_level(classes: Sequence[ClassLevel], name: str) -> int:
    """Levels in one class (0 when the character has none)."""
    key = _key(name)
    return sum(c.level for c in classes if c.name.lower() == key)


def caster_level(classes: Sequence[ClassLevel]) -> int:
    """Multiclass caster level: full-caster levels + half (rounded down) of each half-caster's levels."""
    total = 0
    for c in classes:
        caster = get_class(c.name).caster
        total += c.level if caster == "full" else c.level // 2 if caster == "half" else 0
    return total


def multiclass_spell_slots(classes: Sequence[ClassLevel]) -> SpellSlots:
    """Full spell slots: one spellcasting class uses its own table; two or more the Multiclass Spellcaster
    table at the combined caster level; Pact Magic alongside, from warlock levels."""
    casters = [c for c in classes if get_class(c.name).caster in ("full", "half")]
    if len(casters) == 1:
        slots = slots_for(get_class(casters[0].name).caster, casters[0].level)
    else:
        level = caster_level(casters)
        row = FULL_CASTER_SLOTS[min(level, 20) - 1] if level >= 1 else ()
        table = {i + 1: n for i, n in enumerate(row)}
        slots = SpellSlots(maximum=table, current=dict(table))
    warlock = class_level(classes, "warlock")
    if warlock:
        pact = slots_for("pact", warlock)
        slots.pact_level, slots.pact_maximum, slots.pact_current = pact.pact_level, pact.pact_maximum, pact.pact_current
    return slots


def _best(table: Mapping[str, tuple[tuple[int, int], ...]], classes: Sequence[ClassLevel], default: int) -> int:
    best = default
    for c in classes:
        for at, value in table.get(c.name.lower(), ()):
            if c.level >= at:
                best = max(best, value)
    return best


def attacks_per_action(classes: Sequence[ClassLevel]) -> int:
    """Attacks per Attack action: Extra Attack from several classes doesn't add up (the best one counts)."""
    return _best(_EXTRA_ATTACK, classes, 1)


def channel_divinity_uses(classes: Sequence[ClassLevel]) -> int:
    """Channel Divinity uses between rests: a second class's feature adds effects, not uses."""
    return _best(_CHANNEL_DIVINITY, classes, 0)


def unarmored_defense(classes: Sequence[ClassLevel]) -> str | None:
    """The ability Unarmored Defense adds: from the first class taken that grants it, never twice."""
    for c in classes:
        ability = get_class(c.name).unarmored_defense
        if ability:
            return ability
    return None


def hit_dice_pool(classes: Sequence[ClassLevel]) -> dict[int, int]:
    """Hit Dice by die size ({10: 2, 6: 3} for a fighter 2 / wizard 3)."""
    pool: dict[int, int] = {}
    for c in classes:
        die = get_class(c.name).hit_die
        pool[die] = pool.get(die, 0) + c.level
    return pool


def hit_dice_to_spend(classes: Sequence[ClassLevel], remaining: int, count: int) -> list[int]:
    """The die sizes of the next `count` Hit Dice spent, for a pool with `remaining` dice left.

    One count is kept (`Character.hit_dice`), so for mixed dice the largest are taken to be spent first
    (the player's usual choice): the dice left are the smallest of the pool.
    """
    dice = sorted((size for size, n in hit_dice_pool(classes).items() for _ in range(n)), reverse=True)
    left = dice[len(dice) - remaining:] if remaining else []
    return left[:count]

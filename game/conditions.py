"""The 15 SRD conditions (Appendix PH-A) as data, and what they do to rolls and actions.

Each condition is a `ConditionRule` (a frozen record of its mechanical effects, taken bullet by
bullet from SRD 5.1 p. 358–359); exhaustion is measured in levels 1–6 with cumulative effects.
The functions below answer the questions the referee asks during play: can this creature act or
speak; what is its speed; does an attack roll, saving throw or ability check have
advantage or disadvantage, or fail automatically; is a hit a forced critical.

`Advantage` is `game.dice.Advantage` (re-exported). Advantage and disadvantage follow SRD
"Advantage and Disadvantage": any number of sources of each cancel out to a normal roll if at
least one of each is present (`game.dice.combine_advantage`).

Conditions are given as any iterable of `Condition` members or their names; implied conditions
are added (paralyzed, petrified, stunned and unconscious include incapacitated; unconscious
includes prone) before any rule is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from game.abilities import ability_name
from game.dice import Advantage, combine_advantage
from game.errors import RulesError, UnknownCondition

__all__ = [
    "CONDITION_RULES",
    "EXHAUSTION_EFFECTS",
    "MAX_EXHAUSTION",
    "Advantage",
    "Condition",
    "ConditionRule",
    "RollModifier",
    "attack_roll_mode",
    "can_act",
    "can_react",
    "can_speak",
    "check_roll_modifier",
    "condition_immunities",
    "damage_immunities",
    "effective_conditions",
    "hit_is_critical",
    "hit_point_maximum",
    "is_dead_from_exhaustion",
    "keeps_dodge",
    "parse_condition",
    "parse_conditions",
    "resists_all_damage",
    "save_roll_modifier",
    "speed",
]

MAX_EXHAUSTION: Final = 6


class Condition(StrEnum):
    """The SRD 5.1 conditions (exhaustion is the one with levels)."""

    BLINDED = "blinded"
    CHARMED = "charmed"
    DEAFENED = "deafened"
    EXHAUSTION = "exhaustion"
    FRIGHTENED = "frightened"
    GRAPPLED = "grappled"
    INCAPACITATED = "incapacitated"
    INVISIBLE = "invisible"
    PARALYZED = "paralyzed"
    PETRIFIED = "petrified"
    POISONED = "poisoned"
    PRONE = "prone"
    RESTRAINED = "restrained"
    STUNNED = "stunned"
    UNCONSCIOUS = "unconscious"


@dataclass(frozen=True, slots=True)
class RollModifier:
    """What conditions do to one d20 roll: automatic failure, or the advantage state."""

    auto_fail: bool = False
    mode: Advantage = Advantage.NONE


@dataclass(frozen=True, slots=True)
class ConditionRule:
    """The mechanical effects of one condition (SRD Appendix PH-A), plus its rules text."""

    condition: Condition
    text: str
    implies: frozenset[Condition] = frozenset()
    incapacitated: bool = False  # no actions or reactions
    speed_zero: bool = False
    cannot_speak: bool = False
    auto_fail_saves: frozenset[str] = frozenset()  # ability names
    save_disadvantage: frozenset[str] = frozenset()
    own_attacks: Advantage = Advantage.NONE
    attacks_against: Advantage = Advantage.NONE
    check_disadvantage: bool = False
    auto_fail_checks_requiring: str | None = None  # "sight" / "hearing"
    crit_within_5_feet: bool = False
    resistance_to_all_damage: bool = False
    damage_immunities: frozenset[str] = frozenset()  # damage type names
    condition_immunities: frozenset[Condition] = frozenset()


_STR_DEX: Final = frozenset({"strength", "dexterity"})
_C = Condition

CONDITION_RULES: Final[dict[Condition, ConditionRule]] = {
    _C.BLINDED: ConditionRule(
        _C.BLINDED,
        "A blinded creature can't see and automatically fails any ability check that requires sight. "
        "Attack rolls against the creature have advantage, and the creature's attack rolls have disadvantage.",
        own_attacks=Advantage.DISADVANTAGE,
        attacks_against=Advantage.ADVANTAGE,
        auto_fail_checks_requiring="sight",
    ),
    _C.CHARMED: ConditionRule(
        _C.CHARMED,
        "A charmed creature can't attack the charmer or target the charmer with harmful abilities or magical "
        "effects. The charmer has advantage on any ability check to interact socially with the creature.",
    ),
    _C.DEAFENED: ConditionRule(
        _C.DEAFENED,
        "A deafened creature can't hear and automatically fails any ability check that requires hearing.",
        auto_fail_checks_requiring="hearing",
    ),
    _C.EXHAUSTION: ConditionRule(
        _C.EXHAUSTION,
        "Exhaustion is measured in six levels: 1 disadvantage on ability checks; 2 speed halved; "
        "3 disadvantage on attack rolls and saving throws; 4 hit point maximum halved; 5 speed reduced to 0; "
        "6 death. A creature suffers the effect of its current level and all lower levels.",
    ),
    _C.FRIGHTENED: ConditionRule(
        _C.FRIGHTENED,
        "A frightened creature has disadvantage on ability checks and attack rolls while the source of its fear "
        "is within line of sight. The creature can't willingly move closer to the source of its fear.",
        own_attacks=Advantage.DISADVANTAGE,
        check_disadvantage=True,
    ),
    _C.GRAPPLED: ConditionRule(
        _C.GRAPPLED,
        "A grappled creature's speed becomes 0, and it can't benefit from any bonus to its speed. The condition "
        "ends if the grappler is incapacitated or if an effect removes the grappled creature from its reach.",
        speed_zero=True,
    ),
    _C.INCAPACITATED: ConditionRule(
        _C.INCAPACITATED,
        "An incapacitated creature can't take actions or reactions.",
        incapacitated=True,
    ),
    _C.INVISIBLE: ConditionRule(
        _C.INVISIBLE,
        "An invisible creature is impossible to see without the aid of magic or a special sense; for hiding it is "
        "heavily obscured. Attack rolls against the creature have disadvantage, and its attack rolls have advantage.",
        own_attacks=Advantage.ADVANTAGE,
        attacks_against=Advantage.DISADVANTAGE,
    ),
    _C.PARALYZED: ConditionRule(
        _C.PARALYZED,
        "A paralyzed creature is incapacitated and can't move or speak. It automatically fails Strength and "
        "Dexterity saving throws. Attack rolls against it have advantage. Any attack that hits it is a critical "
        "hit if the attacker is within 5 feet of it.",
        implies=frozenset({_C.INCAPACITATED}),
        speed_zero=True,
        cannot_speak=True,
        auto_fail_saves=_STR_DEX,
        attacks_against=Advantage.ADVANTAGE,
        crit_within_5_feet=True,
    ),
    _C.PETRIFIED: ConditionRule(
        _C.PETRIFIED,
        "A petrified creature is transformed into a solid inanimate substance; it is incapacitated, can't move or "
        "speak, and is unaware of its surroundings. Attack rolls against it have advantage. It automatically fails "
        "Strength and Dexterity saving throws, has resistance to all damage and is immune to poison and disease.",
        implies=frozenset({_C.INCAPACITATED}),
        speed_zero=True,
        cannot_speak=True,
        auto_fail_saves=_STR_DEX,
        attacks_against=Advantage.ADVANTAGE,
        resistance_to_all_damage=True,
        damage_immunities=frozenset({"poison"}),
        condition_immunities=frozenset({_C.POISONED}),
    ),
    _C.POISONED: ConditionRule(
        _C.POISONED,
        "A poisoned creature has disadvantage on attack rolls and ability checks.",
        own_attacks=Advantage.DISADVANTAGE,
        check_disadvantage=True,
    ),
    _C.PRONE: ConditionRule(
        _C.PRONE,
        "A prone creature's only movement option is to crawl, unless it stands up. It has disadvantage on attack "
        "rolls. An attack roll against it has advantage if the attacker is within 5 feet, otherwise disadvantage.",
        own_attacks=Advantage.DISADVANTAGE,
        # attacks against a prone creature depend on distance: see attack_roll_mode
    ),
    _C.RESTRAINED: ConditionRule(
        _C.RESTRAINED,
        "A restrained creature's speed becomes 0, and it can't benefit from any bonus to its speed. Attack rolls "
        "against it have advantage, and its attack rolls have disadvantage. It has disadvantage on Dexterity "
        "saving throws.",
        speed_zero=True,
        own_attacks=Advantage.DISADVANTAGE,
        attacks_against=Advantage.ADVANTAGE,
        save_disadvantage=frozenset({"dexterity"}),
    ),
    _C.STUNNED: ConditionRule(
        _C.STUNNED,
        "A stunned creature is incapacitated, can't move, and can speak only falteringly. It automatically fails "
        "Strength and Dexterity saving throws. Attack rolls against it have advantage.",
        implies=frozenset({_C.INCAPACITATED}),
        speed_zero=True,
        auto_fail_saves=_STR_DEX,
        attacks_against=Advantage.ADVANTAGE,
    ),
    _C.UNCONSCIOUS: ConditionRule(
        _C.UNCONSCIOUS,
        "An unconscious creature is incapacitated, can't move or speak, and is unaware of its surroundings. It "
        "drops whatever it's holding and falls prone. It automatically fails Strength and Dexterity saving throws. "
        "Attack rolls against it have advantage. Any attack that hits it is a critical hit if the attacker is "
        "within 5 feet of it.",
        implies=frozenset({_C.INCAPACITATED, _C.PRONE}),
        speed_zero=True,
        cannot_speak=True,
        auto_fail_saves=_STR_DEX,
        attacks_against=Advantage.ADVANTAGE,
        crit_within_5_feet=True,
    ),
}

# SRD "Exhaustion" table: level → effect (cumulative).
EXHAUSTION_EFFECTS: Final[dict[int, str]] = {
    1: "Disadvantage on ability checks",
    2: "Speed halved",
    3: "Disadvantage on attack rolls and saving throws",
    4: "Hit point maximum halved",
    5: "Speed reduced to 0",
    6: "Death",
}


def parse_condition(name: str | Condition) -> Condition:
    """`"Prone"`, `" prone "`, `Condition.PRONE` → `Condition.PRONE`.

    Raises:
        UnknownCondition: not one of the SRD conditions.
    """
    if isinstance(name, Condition):
        return name
    key = str(name).strip().lower()
    if key in ("exhausted", "exhaustion"):
        return Condition.EXHAUSTION
    if key == "paralysed":  # British spelling in player messages
        key = "paralyzed"
    try:
        return Condition(key)
    except ValueError:
        raise UnknownCondition(str(name)) from None


def parse_conditions(names: Iterable[str | Condition]) -> frozenset[Condition]:
    """Parse many condition names (see `parse_condition`)."""
    return frozenset(parse_condition(n) for n in names)


def effective_conditions(conditions: Iterable[str | Condition]) -> frozenset[Condition]:
    """The conditions plus those they imply (e.g. unconscious → incapacitated and prone)."""
    result = set(parse_conditions(conditions))
    for condition in tuple(result):
        result |= CONDITION_RULES[condition].implies
    return frozenset(result)


def _rules(conditions: Iterable[str | Condition]) -> list[ConditionRule]:
    return [CONDITION_RULES[c] for c in effective_conditions(conditions)]


def _check_exhaustion(level: int) -> int:
    if not 0 <= level <= MAX_EXHAUSTION:
        raise RulesError(f"Exhaustion is measured in levels 0 to {MAX_EXHAUSTION}, not {level}.")
    return level


def is_dead_from_exhaustion(exhaustion: int) -> bool:
    """Exhaustion level 6 is death."""
    return _check_exhaustion(exhaustion) >= 6


def can_act(conditions: Iterable[str | Condition], exhaustion: int = 0) -> bool:
    """False when the creature can take no actions: incapacitated (directly or implied) or dead of exhaustion."""
    if is_dead_from_exhaustion(exhaustion):
        return False
    return not any(rule.incapacitated for rule in _rules(conditions))


def keeps_dodge(conditions: Iterable[str | Condition], exhaustion: int = 0) -> bool:
    """A creature that took the Dodge action keeps its benefit unless it is incapacitated or its speed drops to 0
    (SRD p. 92, "Dodge")."""
    return can_act(conditions, exhaustion) and speed(30, conditions, exhaustion) > 0


def can_react(conditions: Iterable[str | Condition], exhaustion: int = 0) -> bool:
    """Reactions are lost exactly when actions are (incapacitated)."""
    return can_act(conditions, exhaustion)


def can_speak(conditions: Iterable[str | Condition]) -> bool:
    """Paralyzed, petrified and unconscious creatures can't speak (stunned speak falteringly: still True)."""
    return not any(rule.cannot_speak for rule in _rules(conditions))


def speed(base_speed: int, conditions: Iterable[str | Condition], exhaustion: int = 0) -> int:
    """Walking speed in feet after conditions: 0 when grappled/restrained/paralyzed/petrified/stunned/unconscious
    or at exhaustion ≥ 5; halved (rounded down) at exhaustion ≥ 2. Prone creatures crawl at the speed returned
    (each foot of crawling costs an extra foot, which is movement cost, not speed)."""
    level = _check_exhaustion(level=exhaustion)
    if base_speed < 0:
        raise RulesError(f"Speed cannot be negative ({base_speed} ft.).")
    if level >= 5 or any(rule.speed_zero for rule in _rules(conditions)):
        return 0
    return base_speed // 2 if level >= 2 else base_speed


def hit_point_maximum(max_hp: int, exhaustion: int = 0) -> int:
    """The hit point maximum after exhaustion: halved (rounded down) at level ≥ 4."""
    return max_hp // 2 if _check_exhaustion(exhaustion) >= 4 else max_hp


def resists_all_damage(conditions: Iterable[str | Condition]) -> bool:
    """Petrified creatures have resistance to all damage."""
    return any(rule.resistance_to_all_damage for rule in _rules(conditions))


def damage_immunities(conditions: Iterable[str | Condition]) -> frozenset[str]:
    """Damage types the conditions make a creature immune to (petrified: poison)."""
    return frozenset(t for rule in _rules(conditions) for t in rule.damage_immunities)


def condition_immunities(conditions: Iterable[str | Condition]) -> frozenset[Condition]:
    """Conditions that can't be imposed while these last (petrified: poisoned)."""
    return frozenset(c for rule in _rules(conditions) for c in rule.condition_immunities)


def attack_roll_mode(
    attacker: Iterable[str | Condition] = (),
    target: Iterable[str | Condition] = (),
    *,
    attacker_exhaustion: int = 0,
    within_5_feet: bool = True,
    circumstances: Iterable[Advantage] = (),
) -> Advantage:
    """Advantage state of an attack roll from both creatures' conditions plus other circumstances.

    Args:
        attacker: the attacker's conditions (blinded, frightened, poisoned, prone, restrained → disadvantage;
            invisible → advantage).
        target: the target's conditions (blinded, paralyzed, petrified, restrained, stunned, unconscious →
            advantage; invisible → disadvantage; prone → advantage within 5 feet, else disadvantage).
        attacker_exhaustion: level 3+ gives disadvantage on attack rolls.
        within_5_feet: the attacker is within 5 feet of the target (prone targets).
        circumstances: other sources (long range, cover-free help action, pack tactics …).
    """
    sources: list[Advantage] = list(circumstances)
    sources += [rule.own_attacks for rule in _rules(attacker)]
    if _check_exhaustion(attacker_exhaustion) >= 3:
        sources.append(Advantage.DISADVANTAGE)
    target_conditions = effective_conditions(target)
    sources += [CONDITION_RULES[c].attacks_against for c in target_conditions]
    if Condition.PRONE in target_conditions:
        sources.append(Advantage.ADVANTAGE if within_5_feet else Advantage.DISADVANTAGE)
    return combine_advantage(*sources)


def hit_is_critical(target: Iterable[str | Condition], *, within_5_feet: bool) -> bool:
    """A hit on a paralyzed or unconscious creature from within 5 feet is always a critical hit."""
    return within_5_feet and any(rule.crit_within_5_feet for rule in _rules(target))


def save_roll_modifier(
    conditions: Iterable[str | Condition],
    ability: str,
    exhaustion: int = 0,
    circumstances: Iterable[Advantage] = (),
) -> RollModifier:
    """Automatic failure or advantage state for a saving throw of `ability` (name or abbreviation).

    Paralyzed, petrified, stunned and unconscious creatures fail Strength and Dexterity saves; restrained
    ones have disadvantage on Dexterity saves; exhaustion 3+ gives disadvantage on all saves.
    """
    key = ability_name(ability)
    rules = _rules(conditions)
    if any(key in rule.auto_fail_saves for rule in rules):
        return RollModifier(auto_fail=True)
    sources = list(circumstances)
    sources += [Advantage.DISADVANTAGE for rule in rules if key in rule.save_disadvantage]
    if _check_exhaustion(exhaustion) >= 3:
        sources.append(Advantage.DISADVANTAGE)
    return RollModifier(mode=combine_advantage(*sources))


def check_roll_modifier(
    conditions: Iterable[str | Condition],
    exhaustion: int = 0,
    *,
    requires_sight: bool = False,
    requires_hearing: bool = False,
    circumstances: Iterable[Advantage] = (),
) -> RollModifier:
    """Automatic failure or advantage state for an ability check.

    Blinded fails checks that require sight, deafened those that require hearing; frightened and poisoned
    give disadvantage (the frightened creature is assumed to see the source of its fear); exhaustion 1+ gives
    disadvantage.
    """
    rules = _rules(conditions)
    for rule in rules:
        needs = rule.auto_fail_checks_requiring
        if (needs == "sight" and requires_sight) or (needs == "hearing" and requires_hearing):
            return RollModifier(auto_fail=True)
    sources = list(circumstances)
    sources += [Advantage.DISADVANTAGE for rule in rules if rule.check_disadvantage]
    if _check_exhaustion(exhaustion) >= 1:
        sources.append(Advantage.DISADVANTAGE)
    return RollModifier(mode=combine_advantage(*sources))

"""Weapon attack rolls and their damage (SRD 5.1 "Making an Attack", "Weapons", "Critical Hits").

Attack roll = d20 + ability modifier + proficiency bonus (if proficient) + magic bonus, against
the target's AC. Melee weapons use Strength, ranged weapons Dexterity, finesse weapons the better
of the two (a thrown melee weapon keeps its melee ability). A versatile weapon swung two-handed
deals its larger die. A natural 20 always hits and is a critical hit, a natural 1 always misses;
a hit on a paralyzed or unconscious target from within 5 feet is a critical hit too. A critical
hit rolls all damage dice twice, modifiers once. Advantage and disadvantage from both creatures'
conditions and from circumstances (long range, …) are combined by `conditions.attack_roll_mode`:
one of each cancels out.

Dice are rolled by `game.dice` (the `d20` library; wrap calls in `game.dice.seeded(n)` for
reproducible tests); damage strings are the SRD's weapon notation, `NdM` or a flat number (the
blowgun's `1`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field

from game.abilities import AbilityScores
from game import dice
from game.conditions import (
    Advantage,
    Condition,
    attack_roll_mode,
    can_act,
    effective_conditions,
    hit_is_critical,
    keeps_dodge,
)
from game.equipment import Weapon, find_weapon
from game.errors import RulesError
from game.resources import class_counters, class_level, is_lucky, is_raging

if TYPE_CHECKING:
    from game.character import Character

__all__ = [
    "UNARMED_STRIKE",
    "AttackProfile",
    "AttackResult",
    "DamageDice",
    "attack_ability",
    "character_attack_profile",
    "is_proficient",
    "make_attack",
    "parse_damage_dice",
    "resolve_attack",
    "roll_damage",
    "weapon_attack_profile",
]

# SRD p. 95: "an unarmed strike deals bludgeoning damage equal to 1 + your Strength modifier"; everyone is
# proficient with it. Not a weapon (it is not in the equipment tables), but attacked with like one.
UNARMED_STRIKE: Final = Weapon("Unarmed strike", "simple", "melee", "1", "bludgeoning", 0.0, 0)

_DICE = re.compile(r"^\s*(?:(\d+)\s*d\s*(\d+)|(\d+))\s*$", re.IGNORECASE)
MAX_DAMAGE_DICE: Final = 100


class DamageDice(BaseModel):
    """`count`d`sides`, or a flat amount when `sides` is 0."""

    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=0, le=MAX_DAMAGE_DICE)
    sides: int = Field(ge=0, le=100)
    flat: int = Field(0, ge=0)

    def __str__(self) -> str:
        return f"{self.count}d{self.sides}" if self.sides else str(self.flat)


def parse_damage_dice(text: str) -> DamageDice:
    """`"2d6"` → 2 six-sided dice; `"1"` → a flat 1.

    Raises:
        RulesError: anything else.
    """
    match = _DICE.match(text or "")
    if not match:
        raise RulesError(f"{text!r} is not a weapon damage die (like 1d8).")
    if match.group(3) is not None:
        return DamageDice(count=0, sides=0, flat=int(match.group(3)))
    count, sides = int(match.group(1)), int(match.group(2))
    if sides not in (4, 6, 8, 10, 12, 20, 100) or not 1 <= count <= MAX_DAMAGE_DICE:
        raise RulesError(f"{text!r} is not a die the rules use.")
    return DamageDice(count=count, sides=sides)


class AttackProfile(BaseModel):
    """Everything needed to roll one weapon attack: to-hit bonus and damage."""

    model_config = ConfigDict(frozen=True)

    weapon: str
    ability: str  # "strength" or "dexterity"
    attack_bonus: int
    damage_dice: str
    damage_bonus: int
    damage_type: str | None
    ranged: bool  # a ranged attack (ranged weapon, or a thrown weapon)
    normal_range: int | None = None
    long_range: int | None = None
    critical_on: int = Field(20, ge=2, le=20)  # lowest natural roll that is a critical hit (Champion: 19, 18)
    extra_critical_dice: int = Field(0, ge=0, le=10)  # weapon dice added to a crit (Savage Attacks, Brutal Critical)
    disadvantage: bool = False  # always rolled at disadvantage (a Small creature with a heavy weapon)
    lucky: bool = False  # a halfling rerolls a natural 1 (Lucky)


class AttackResult(BaseModel):
    """One resolved attack. `damage` is 0 on a miss."""

    model_config = ConfigDict(frozen=True)

    weapon: str
    rolls: tuple[int, ...]  # the d20s (two with advantage or disadvantage)
    natural: int  # the d20 that counts
    mode: Advantage
    attack_total: int
    target_ac: int
    hit: bool
    critical: bool
    fumble: bool
    damage_rolls: tuple[int, ...]
    damage: int
    damage_type: str | None

    def describe(self) -> str:
        """A one-line breakdown for the DM and for Discord."""
        dice = "/".join(str(r) for r in self.rolls)
        mode = {Advantage.ADVANTAGE: " with advantage", Advantage.DISADVANTAGE: " with disadvantage"}.get(self.mode, "")
        head = f"{self.weapon}: d20 ({dice}){mode} → {self.attack_total} vs AC {self.target_ac}"
        if not self.hit:
            return head + (" — natural 1, a miss." if self.fumble else " — a miss.")
        crit = " critical hit!" if self.critical else " hit"
        kind = f" {self.damage_type}" if self.damage_type else ""
        return f"{head} —{crit} {self.damage}{kind} damage ({'+'.join(map(str, self.damage_rolls)) or 0} + mods)."


def attack_ability(weapon: Weapon, scores: AbilityScores) -> str:
    """Strength for melee, Dexterity for ranged weapons; finesse → whichever modifier is higher."""
    if weapon.has("finesse"):
        return "dexterity" if scores.modifier("dexterity") > scores.modifier("strength") else "strength"
    return "dexterity" if weapon.kind == "ranged" else "strength"


def is_proficient(weapon: Weapon, weapon_proficiencies: Iterable[str]) -> bool:
    """Proficiency by category (`simple`/`martial`) or by weapon name: singular or plural, and
    `"hand crossbow"` for the table's `"Crossbow, hand"`."""
    if weapon is UNARMED_STRIKE:
        return True
    names = {p.strip().lower().removesuffix("s") for p in weapon_proficiencies}
    own = weapon.name.lower()
    if ", " in own:
        base, kind = own.split(", ", 1)
        own = f"{kind} {base}"
    return weapon.category in names or own.removesuffix("s") in names


def character_attack_profile(
    character: Character,
    weapon: Weapon | str,
    *,
    two_handed: bool = False,
    thrown: bool = False,
    magic_bonus: int = 0,
    off_hand: bool = False,
) -> AttackProfile:
    """`weapon_attack_profile` with the character's scores, proficiency bonus and weapon proficiencies."""
    w = _weapon(weapon)
    fighter = character.class_level("fighter")  # a multiclass character counts its fighter levels
    champion = (character.subclass_of("fighter") or "").lower() == "champion"
    # SRD p. 25: Improved Critical (3rd level) 19–20, Superior Critical (15th) 18–20
    critical_on = 20 if not champion or fighter < 3 else (18 if fighter >= 15 else 19)
    extra = 0
    if w.kind == "melee" and not thrown:  # both need a melee (weapon) attack
        extra += 1 if character.race.lower() == "half-orc" else 0  # Savage Attacks, SRD p. 7
        barbarian = character.class_level("barbarian")  # Brutal Critical, SRD p. 9
        extra += sum(barbarian >= n for n in (9, 13, 17))
    profile = weapon_attack_profile(
        w,
        character.ability_scores,
        character.proficiency_bonus,
        proficient=is_proficient(w, character.proficiencies.weapons),
        two_handed=two_handed,
        thrown=thrown,
        magic_bonus=magic_bonus,
        off_hand=off_hand,
        critical_on=critical_on,
        extra_critical_dice=extra,
    )
    small_heavy = w.has("heavy") and _size(character) == "Small"  # SRD p. 65: Small creatures, heavy weapons
    if small_heavy or character.wears_armor_without_proficiency:  # SRD p. 62: unfamiliar armor
        profile = profile.model_copy(update={"disadvantage": True})
    if is_lucky(character):
        profile = profile.model_copy(update={"lucky": True})
    if is_raging(character) and w.kind == "melee" and not thrown and profile.ability == "strength":
        rage_bonus = class_counters("barbarian", max(1, class_level(character, "barbarian"))).rage_damage
        profile = profile.model_copy(update={"damage_bonus": profile.damage_bonus + rage_bonus})
    return profile


def _size(character: Character) -> str:
    from game.races import get_race

    try:
        return get_race(character.race).size
    except RulesError:
        return "Medium"


def _weapon(weapon: Weapon | str) -> Weapon:
    if isinstance(weapon, Weapon):
        return weapon
    if " ".join(weapon.lower().split()) in ("unarmed strike", "unarmed"):
        return UNARMED_STRIKE
    found = find_weapon(weapon)
    if found is None:
        raise RulesError(f"{weapon!r} is not a weapon in the rules.")
    return found


def weapon_attack_profile(
    weapon: Weapon | str,
    scores: AbilityScores,
    proficiency_bonus: int,
    *,
    proficient: bool = True,
    two_handed: bool = False,
    thrown: bool = False,
    magic_bonus: int = 0,
    off_hand: bool = False,
    critical_on: int = 20,
    extra_critical_dice: int = 0,
) -> AttackProfile:
    """The attack and damage numbers for a weapon in a creature's hands.

    Args:
        two_handed: wield a versatile weapon with two hands (its larger die, melee only).
        thrown: throw a weapon with the thrown property (a ranged attack with the melee ability).
        magic_bonus: a +1/+2/+3 weapon's bonus to attack and damage.
        off_hand: the two-weapon fighting bonus attack (SRD p. 95): a light melee weapon, and the ability
            modifier is added to damage only when negative.
        critical_on: the lowest natural d20 that is a critical hit (20; a Champion's 19 or 18).
        extra_critical_dice: weapon damage dice added once to a critical hit (Savage Attacks, Brutal Critical).

    Raises:
        RulesError: unknown weapon, a weapon without damage (net), or throwing a weapon that can't be thrown.
    """
    w = _weapon(weapon)
    if w.damage is None:
        raise RulesError(f"A {w.name.lower()} deals no damage; its effect is special.")
    if thrown and not w.has("thrown"):
        raise RulesError(f"A {w.name.lower()} is not a thrown weapon.")
    if off_hand and not (w.has("light") and w.kind == "melee"):
        raise RulesError(f"Two-weapon fighting needs a light melee weapon; a {w.name.lower()} is not one.")
    ability = attack_ability(w, scores)
    modifier = scores.modifier(ability)
    damage = w.damage
    if two_handed and w.versatile_damage and not thrown and w.kind == "melee":
        damage = w.versatile_damage
    ranged = w.kind == "ranged" or thrown
    normal, long = w.range if (ranged and w.range) else (None, None)
    return AttackProfile(
        weapon=w.name,
        ability=ability,
        attack_bonus=modifier + (proficiency_bonus if proficient else 0) + magic_bonus,
        damage_dice=damage,
        damage_bonus=(min(modifier, 0) if off_hand else modifier) + magic_bonus,
        damage_type=w.damage_type,
        ranged=ranged,
        normal_range=normal,
        long_range=long,
        critical_on=critical_on,
        extra_critical_dice=extra_critical_dice,
    )


def roll_damage(
    damage_dice: str, bonus: int, *, critical: bool, extra_dice: int = 0
) -> tuple[tuple[int, ...], int]:
    """Roll weapon damage: dice doubled on a critical hit, `bonus` added once, never below 0.

    `extra_dice` more of the weapon's die are added on a critical hit only (and are not doubled).
    Returns the individual dice and the total.
    """
    parsed = parse_damage_dice(damage_dice)
    expression = f"{parsed.count}d{parsed.sides}" if parsed.sides else "0"
    expression += f"{parsed.flat + bonus:+d}"
    result = dice.roll(expression, critical=critical)
    rolls = [die.value for die in result.rolls if die.kept]
    total = result.total
    if critical and extra_dice > 0 and parsed.sides:
        extra = dice.roll(f"{extra_dice}d{parsed.sides}")
        rolls += [die.value for die in extra.rolls if die.kept]
        total += extra.total
    return tuple(rolls), max(0, total)


def resolve_attack(
    profile: AttackProfile,
    target_ac: int,
    rolls: tuple[int, ...],
    mode: Advantage = Advantage.NONE,
    *,
    forced_critical: bool = False,
) -> tuple[int, bool, bool, bool]:
    """Decide an attack from the d20s already rolled: (natural, hit, critical, fumble).

    Advantage keeps the higher d20, disadvantage the lower; natural 20 hits and crits, natural 1 misses.
    A natural roll of `profile.critical_on` or more (a Champion's 19) is a critical hit, and a critical
    hit hits.
    """
    if not rolls or any(not 1 <= r <= 20 for r in rolls):
        raise RulesError(f"{rolls} are not d20 rolls.")
    if mode is Advantage.ADVANTAGE:
        natural = max(rolls)
    elif mode is Advantage.DISADVANTAGE:
        natural = min(rolls)
    else:
        natural = rolls[0]
    if natural == 1:
        return natural, False, False, True
    if natural >= profile.critical_on:
        return natural, True, True, False
    hit = natural + profile.attack_bonus >= target_ac
    return natural, hit, hit and forced_critical, False


def _sees_and_can_act(attacker: Iterable[str | Condition], target: Iterable[str | Condition]) -> bool:
    """The target can see the attacker and isn't incapacitated (for ranged attacks in close combat)."""
    target_set = effective_conditions(target)
    return (
        can_act(target_set)
        and Condition.BLINDED not in target_set
        and Condition.INVISIBLE not in effective_conditions(attacker)
    )


def make_attack(
    profile: AttackProfile,
    target_ac: int,
    *,
    attacker_conditions: Iterable[str | Condition] = (),
    target_conditions: Iterable[str | Condition] = (),
    attacker_exhaustion: int = 0,
    distance: int = 5,
    circumstances: Iterable[Advantage] = (),
    target_hostile: bool = True,
    target_dodging: bool = False,
    target_exhaustion: int = 0,
) -> AttackResult:
    """Roll an attack and, on a hit, its damage.

    Args:
        distance: feet between attacker and target. Beyond a ranged weapon's normal range the attack has
            disadvantage; beyond its long range it is impossible. Melee attacks need the target within reach
            (5 ft., 10 ft. with the reach property — checked by name via `equipment`).
        circumstances: extra advantage/disadvantage sources (they cancel as the SRD says).
        target_hostile: the target is hostile. A ranged attack within 5 feet of a hostile target that can
            see the attacker (not blinded; attacker not invisible) and isn't incapacitated has disadvantage
            (SRD p. 95, "Ranged Attacks in Close Combat"). Other hostile creatures next to the attacker are
            the caller's to add as a circumstance.
        target_dodging: the target took the Dodge action (`game.combat.is_dodging`): the attack has disadvantage
            if the target can see the attacker and keeps the benefit (not incapacitated, speed above 0).

    Raises:
        RulesError: the target is out of range, or the attacker can't attack (incapacitated).
    """
    attacker_conditions, target_conditions = tuple(attacker_conditions), tuple(target_conditions)  # read twice
    if not can_act(attacker_conditions, attacker_exhaustion):
        raise RulesError("An incapacitated creature can't take actions, so it can't attack.")
    sources = list(circumstances)
    if profile.disadvantage:
        sources.append(Advantage.DISADVANTAGE)
    if profile.ranged:
        if profile.long_range is not None and distance > profile.long_range:
            raise RulesError(
                f"The target is beyond the {profile.weapon.lower()}'s long range ({profile.long_range} ft.)."
            )
        if profile.normal_range is not None and distance > profile.normal_range:
            sources.append(Advantage.DISADVANTAGE)
        if distance <= 5 and target_hostile and _sees_and_can_act(attacker_conditions, target_conditions):
            sources.append(Advantage.DISADVANTAGE)
    else:
        weapon = find_weapon(profile.weapon)
        reach = 10 if weapon is not None and weapon.has("reach") else 5
        if distance > reach:
            raise RulesError(f"The target is out of reach ({distance} ft.; reach {reach} ft.).")
    if target_dodging and keeps_dodge(target_conditions, target_exhaustion) and _sees_and_can_act(
            attacker_conditions, target_conditions):  # fmt: skip
        sources.append(Advantage.DISADVANTAGE)
    within_5 = distance <= 5
    mode = attack_roll_mode(
        attacker_conditions,
        target_conditions,
        attacker_exhaustion=attacker_exhaustion,
        within_5_feet=within_5,
        circumstances=sources,
    )
    rolls = dice.d20_faces(mode, lucky=profile.lucky)[1]  # Lucky: a natural 1 is rerolled
    forced = hit_is_critical(target_conditions, within_5_feet=within_5)
    natural, hit, critical, fumble = resolve_attack(profile, target_ac, rolls, mode, forced_critical=forced)
    damage_rolls: tuple[int, ...] = ()
    damage = 0
    if hit:
        damage_rolls, damage = roll_damage(
            profile.damage_dice, profile.damage_bonus, critical=critical, extra_dice=profile.extra_critical_dice
        )
    return AttackResult(
        weapon=profile.weapon,
        rolls=rolls,
        natural=natural,
        mode=mode,
        attack_total=natural + profile.attack_bonus,
        target_ac=target_ac,
        hit=hit,
        critical=critical,
        fumble=fumble,
        damage_rolls=damage_rolls,
        damage=damage,
        damage_type=profile.damage_type,
    )

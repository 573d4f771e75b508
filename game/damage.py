"""Damage and healing (SRD 5.1 "Damage and Healing", p. 96–99).

Pure functions on numbers: they take current/maximum/temporary hit points and return a frozen
outcome carrying the exact new values, so `validation` and `combat` can apply them to any model.

Order of operations for one instance of damage (SRD): flat modifiers first, then immunity (0),
resistance (halved, rounded down) and vulnerability (doubled); multiple instances of the same
resistance count once. Temporary hit points absorb what is left first; the rest comes off hit
points, which never go below 0. If damage reduces a creature to 0 and the damage remaining
equals or exceeds its hit point maximum, it dies outright (massive damage); taking damage while
already at 0 is one death-save failure, two from a critical hit, and instant death if the damage
equals or exceeds the maximum. A concentrating creature that takes damage makes a Constitution
save, DC 10 or half the damage taken, whichever is higher.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from game.errors import RulesError

__all__ = [
    "DamageOutcome",
    "DamageType",
    "HealingOutcome",
    "adjust_damage",
    "apply_damage",
    "apply_healing",
    "concentration_save_dc",
    "parse_damage_type",
]


class DamageType(StrEnum):
    """The 13 SRD damage types."""

    ACID = "acid"
    BLUDGEONING = "bludgeoning"
    COLD = "cold"
    FIRE = "fire"
    FORCE = "force"
    LIGHTNING = "lightning"
    NECROTIC = "necrotic"
    PIERCING = "piercing"
    POISON = "poison"
    PSYCHIC = "psychic"
    RADIANT = "radiant"
    SLASHING = "slashing"
    THUNDER = "thunder"


def parse_damage_type(name: str | DamageType) -> DamageType:
    """`"Fire"` → `DamageType.FIRE`.

    Raises:
        RulesError: not an SRD damage type.
    """
    if isinstance(name, DamageType):
        return name
    try:
        return DamageType(str(name).strip().lower())
    except ValueError:
        raise RulesError(f"{str(name)!r} is not a type of damage in the rules.") from None


def _types(names: Iterable[str | DamageType]) -> frozenset[DamageType]:
    return frozenset(parse_damage_type(n) for n in names)


def concentration_save_dc(damage_taken: int) -> int:
    """DC of the Constitution save to keep concentrating: 10 or half the damage, whichever is higher."""
    if damage_taken < 0:
        raise RulesError("Damage cannot be negative.")
    return max(10, damage_taken // 2)


def adjust_damage(
    amount: int,
    damage_type: str | DamageType | None = None,
    *,
    resistances: Iterable[str | DamageType] = (),
    vulnerabilities: Iterable[str | DamageType] = (),
    immunities: Iterable[str | DamageType] = (),
    resist_all: bool = False,
    reduction: int = 0,
) -> int:
    """Damage after flat reduction, immunity, resistance and vulnerability, in the SRD's order.

    SRD example: resistance to bludgeoning, 25 bludgeoning damage, an aura reducing all damage by 5 →
    (25 − 5) // 2 = 10. Never negative.

    Raises:
        RulesError: negative damage, or an unknown damage type.
    """
    if amount < 0:
        raise RulesError(f"Damage cannot be negative ({amount}); healing is a separate effect.")
    result = max(0, amount - reduction)
    if damage_type is None:
        return result // 2 if resist_all else result
    kind = parse_damage_type(damage_type)
    if kind in _types(immunities):
        return 0
    if resist_all or kind in _types(resistances):
        result //= 2
    if kind in _types(vulnerabilities):
        result *= 2
    return result


class DamageOutcome(BaseModel):
    """What one instance of damage did. `hp_after`/`temp_hp_after` are the exact new values."""

    model_config = ConfigDict(frozen=True)

    damage_taken: int  # after immunity/resistance/vulnerability, before temporary hit points
    temp_hp_absorbed: int
    hp_before: int
    hp_after: int
    temp_hp_before: int
    temp_hp_after: int
    dropped_to_zero: bool  # went from above 0 to 0 with this damage
    instant_death: bool  # massive damage
    death_save_failures: int  # failures added because the creature was already at 0 (0, 1 or 2)
    concentration_dc: int | None  # a Constitution save is due at this DC (concentrating and damaged)


def apply_damage(
    *,
    hp: int,
    max_hp: int,
    amount: int,
    temp_hp: int = 0,
    damage_type: str | DamageType | None = None,
    resistances: Iterable[str | DamageType] = (),
    vulnerabilities: Iterable[str | DamageType] = (),
    immunities: Iterable[str | DamageType] = (),
    resist_all: bool = False,
    critical: bool = False,
    concentrating: bool = False,
) -> DamageOutcome:
    """Apply one instance of damage.

    Args:
        hp, max_hp, temp_hp: the creature's current values (0 ≤ hp ≤ max_hp, temp_hp ≥ 0).
        amount: the rolled damage, before defenses.
        critical: the damage came from a critical hit (two death-save failures at 0 HP).
        concentrating: the creature is concentrating on a spell.

    Raises:
        RulesError: negative or inconsistent numbers, or an unknown damage type.
    """
    if max_hp < 1 or not 0 <= hp <= max_hp or temp_hp < 0:
        raise RulesError(f"Hit points {hp}/{max_hp} (+{temp_hp} temporary) are not a valid state.")
    taken = adjust_damage(
        amount,
        damage_type,
        resistances=resistances,
        vulnerabilities=vulnerabilities,
        immunities=immunities,
        resist_all=resist_all,
    )
    absorbed = min(temp_hp, taken)
    remaining = taken - absorbed
    hp_after = max(0, hp - remaining)
    overflow = remaining - hp if remaining > hp else 0
    already_down = hp == 0
    dropped = not already_down and hp_after == 0
    if already_down:
        instant_death = remaining >= max_hp
        failures = 0 if remaining == 0 or instant_death else (2 if critical else 1)
    else:
        instant_death = dropped and overflow >= max_hp
        failures = 0
    return DamageOutcome(
        damage_taken=taken,
        temp_hp_absorbed=absorbed,
        hp_before=hp,
        hp_after=hp_after,
        temp_hp_before=temp_hp,
        temp_hp_after=temp_hp - absorbed,
        dropped_to_zero=dropped,
        instant_death=instant_death,
        death_save_failures=failures,
        concentration_dc=concentration_save_dc(taken) if concentrating and taken > 0 else None,
    )


class HealingOutcome(BaseModel):
    """What healing did. Hit points regained above the maximum are lost (`wasted`)."""

    model_config = ConfigDict(frozen=True)

    hp_before: int
    hp_after: int
    regained: int
    wasted: int
    revived: bool  # was at 0 hit points: regaining any ends unconsciousness and resets death saves


def apply_healing(*, hp: int, max_hp: int, amount: int, dead: bool = False) -> HealingOutcome:
    """Heal `amount` hit points, up to the maximum (SRD: 8 healing at 14/20 → 20, 6 regained).

    Raises:
        RulesError: negative healing, an invalid hit point state, or a dead creature (it needs magic
            such as revivify first).
    """
    if amount < 0:
        raise RulesError(f"Healing cannot be negative ({amount}); damage is a separate effect.")
    if max_hp < 1 or not 0 <= hp <= max_hp:
        raise RulesError(f"Hit points {hp}/{max_hp} are not a valid state.")
    if dead:
        raise RulesError("A creature that has died can't regain hit points until magic restores it to life.")
    hp_after = min(max_hp, hp + amount)
    return HealingOutcome(
        hp_before=hp,
        hp_after=hp_after,
        regained=hp_after - hp,
        wasted=amount - (hp_after - hp),
        revived=hp == 0 and hp_after > 0,
    )

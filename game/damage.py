"""Damage types and defenses (SRD 5.1 "Damage and Healing", p. 96–97).

Order of operations for one instance of damage (SRD): flat modifiers first, then immunity (0),
resistance (halved, rounded down) and vulnerability (doubled); multiple instances of the same
resistance count once. What is left then comes off the creature's hit points by the one hit-point
model, `game.hit_points` (temporary hit points first, massive damage, death saves). A concentrating
creature that takes damage makes a Constitution save, DC 10 or half the damage taken, whichever is
higher.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from game.errors import RulesError

__all__ = ["DamageType", "adjust_damage", "concentration_save_dc", "parse_damage_type"]


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

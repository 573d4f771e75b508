"""SRD 5.1 equipment tables as Python data: armor, shields, weapons, and a few adventuring-gear entries.

The numbers are the SRD's own ("Equipment": Armor, Weapons, Adventuring Gear tables).
Costs are in copper pieces, weights in pounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ARMOR", "GEAR", "WEAPONS", "Armor", "Gear", "Weapon", "find_armor", "find_weapon", "lookup_key"]


def lookup_key(name: str) -> str:
    """Case- and spacing-insensitive key for catalog lookups (`"Chain  Mail"` → `"chain mail"`)."""
    return " ".join(name.lower().replace("_", " ").split())


@dataclass(frozen=True, slots=True)
class Weapon:
    """A weapon row: category `simple`/`martial`, kind `melee`/`ranged`, properties in lower case."""

    name: str
    category: str
    kind: str
    damage: str | None
    damage_type: str | None
    weight: float
    cost_cp: int
    properties: tuple[str, ...] = ()
    range: tuple[int, int] | None = None
    versatile_damage: str | None = None

    def has(self, prop: str) -> bool:
        return prop in self.properties


@dataclass(frozen=True, slots=True)
class Armor:
    """An armor row. `category` is light/medium/heavy/shield; `max_dex` None means the full Dex modifier."""

    name: str
    category: str
    base_ac: int
    add_dex: bool
    max_dex: int | None
    strength: int | None
    stealth_disadvantage: bool
    weight: float
    cost_cp: int


@dataclass(frozen=True, slots=True)
class Gear:
    name: str
    weight: float
    cost_cp: int


def _weapon(
    name: str,
    category: str,
    kind: str,
    damage: str | None,
    damage_type: str | None,
    weight: float,
    cost_cp: int,
    properties: tuple[str, ...],
    range_: tuple[int, int] | None,
    versatile: str | None,
) -> Weapon:
    return Weapon(name, category, kind, damage, damage_type, weight, cost_cp, properties, range_, versatile)


WEAPONS: Final[dict[str, Weapon]] = {
    lookup_key(w.name): w
    for w in (
        _weapon('Club', 'simple', 'melee', '1d4', 'bludgeoning', 2.0, 10, ('light',), None, None),
        _weapon('Dagger', 'simple', 'melee', '1d4', 'piercing', 1.0, 200, ('finesse', 'light', 'thrown'), (20, 60), None),
        _weapon('Greatclub', 'simple', 'melee', '1d8', 'bludgeoning', 10.0, 20, ('two-handed',), None, None),
        _weapon('Handaxe', 'simple', 'melee', '1d6', 'slashing', 2.0, 500, ('light', 'thrown'), (20, 60), None),
        _weapon('Javelin', 'simple', 'melee', '1d6', 'piercing', 2.0, 50, ('thrown',), (30, 120), None),
        _weapon('Light hammer', 'simple', 'melee', '1d4', 'bludgeoning', 2.0, 200, ('light', 'thrown'), (20, 60), None),
        _weapon('Mace', 'simple', 'melee', '1d6', 'bludgeoning', 4.0, 500, (), None, None),
        _weapon('Quarterstaff', 'simple', 'melee', '1d6', 'bludgeoning', 4.0, 20, ('versatile',), None, '1d8'),
        _weapon('Sickle', 'simple', 'melee', '1d4', 'slashing', 2.0, 100, ('light',), None, None),
        _weapon('Spear', 'simple', 'melee', '1d6', 'piercing', 3.0, 100, ('thrown', 'versatile'), (20, 60), '1d8'),
        _weapon('Crossbow, light', 'simple', 'ranged', '1d8', 'piercing', 5.0, 2500, ('ammunition', 'loading', 'two-handed'), (80, 320), None),
        _weapon('Dart', 'simple', 'ranged', '1d4', 'piercing', 0.25, 5, ('finesse', 'thrown'), (20, 60), None),
        _weapon('Shortbow', 'simple', 'ranged', '1d6', 'piercing', 2.0, 2500, ('ammunition', 'two-handed'), (80, 320), None),
        _weapon('Sling', 'simple', 'ranged', '1d4', 'bludgeoning', 0, 10, ('ammunition',), (30, 120), None),
        _weapon('Battleaxe', 'martial', 'melee', '1d8', 'slashing', 4.0, 1000, ('versatile',), None, '1d10'),
        _weapon('Flail', 'martial', 'melee', '1d8', 'bludgeoning', 2.0, 1000, (), None, None),
        _weapon('Glaive', 'martial', 'melee', '1d10', 'slashing', 6.0, 2000, ('heavy', 'reach', 'two-handed'), None, None),
        _weapon('Greataxe', 'martial', 'melee', '1d12', 'slashing', 7.0, 3000, ('heavy', 'two-handed'), None, None),
        _weapon('Greatsword', 'martial', 'melee', '2d6', 'slashing', 6.0, 5000, ('heavy', 'two-handed'), None, None),
        _weapon('Halberd', 'martial', 'melee', '1d10', 'slashing', 6.0, 2000, ('heavy', 'reach', 'two-handed'), None, None),
        _weapon('Lance', 'martial', 'melee', '1d12', 'piercing', 6.0, 1000, ('reach', 'special'), None, None),
        _weapon('Longsword', 'martial', 'melee', '1d8', 'slashing', 3.0, 1500, ('versatile',), None, '1d10'),
        _weapon('Maul', 'martial', 'melee', '2d6', 'bludgeoning', 10.0, 1000, ('heavy', 'two-handed'), None, None),
        _weapon('Morningstar', 'martial', 'melee', '1d8', 'piercing', 4.0, 1500, (), None, None),
        _weapon('Pike', 'martial', 'melee', '1d10', 'piercing', 18.0, 500, ('heavy', 'reach', 'two-handed'), None, None),
        _weapon('Rapier', 'martial', 'melee', '1d8', 'piercing', 2.0, 2500, ('finesse',), None, None),
        _weapon('Scimitar', 'martial', 'melee', '1d6', 'slashing', 3.0, 2500, ('finesse', 'light'), None, None),
        _weapon('Shortsword', 'martial', 'melee', '1d6', 'piercing', 2.0, 1000, ('finesse', 'light'), None, None),
        _weapon('Trident', 'martial', 'melee', '1d6', 'piercing', 4.0, 500, ('thrown', 'versatile'), (20, 60), '1d8'),
        _weapon('War pick', 'martial', 'melee', '1d8', 'piercing', 2.0, 500, (), None, None),
        _weapon('Warhammer', 'martial', 'melee', '1d8', 'bludgeoning', 2.0, 1500, ('versatile',), None, '1d10'),
        _weapon('Whip', 'martial', 'melee', '1d4', 'slashing', 3.0, 200, ('finesse', 'reach'), None, None),
        _weapon('Blowgun', 'martial', 'ranged', '1', 'piercing', 1.0, 1000, ('ammunition', 'loading'), (25, 100), None),
        _weapon('Crossbow, hand', 'martial', 'ranged', '1d6', 'piercing', 3.0, 7500, ('ammunition', 'light', 'loading'), (30, 120), None),
        _weapon('Crossbow, heavy', 'martial', 'ranged', '1d10', 'piercing', 18.0, 5000, ('ammunition', 'heavy', 'loading', 'two-handed'), (100, 400), None),
        _weapon('Longbow', 'martial', 'ranged', '1d8', 'piercing', 2.0, 5000, ('ammunition', 'heavy', 'two-handed'), (150, 600), None),
        _weapon('Net', 'martial', 'ranged', None, None, 3.0, 100, ('special', 'thrown'), (5, 15), None),
    )
}

ARMOR: Final[dict[str, Armor]] = {
    lookup_key(a.name): a
    for a in (
        Armor("Padded", "light", 11, True, None, None, True, 8, 500),
        Armor("Leather", "light", 11, True, None, None, False, 10, 1000),
        Armor("Studded leather", "light", 12, True, None, None, False, 13, 4500),
        Armor("Hide", "medium", 12, True, 2, None, False, 12, 1000),
        Armor("Chain shirt", "medium", 13, True, 2, None, False, 20, 5000),
        Armor("Scale mail", "medium", 14, True, 2, None, True, 45, 5000),
        Armor("Breastplate", "medium", 14, True, 2, None, False, 20, 40000),
        Armor("Half plate", "medium", 15, True, 2, None, True, 40, 75000),
        Armor("Ring mail", "heavy", 14, False, 0, None, True, 40, 3000),
        Armor("Chain mail", "heavy", 16, False, 0, 13, True, 55, 7500),
        Armor("Splint", "heavy", 17, False, 0, 15, True, 60, 20000),
        Armor("Plate", "heavy", 18, False, 0, 15, True, 65, 150000),
        Armor("Shield", "shield", 2, False, 0, None, False, 6, 1000),
    )
}

# Adventuring gear used by the classes' starting equipment (weights and costs from the SRD gear tables).
GEAR: Final[dict[str, Gear]] = {
    lookup_key(g.name): g
    for g in (
        Gear("Arrows", 0.05, 5),
        Gear("Crossbow bolts", 0.075, 5),
        Gear("Burglar's pack", 44.5, 1600),
        Gear("Diplomat's pack", 36, 3900),
        Gear("Dungeoneer's pack", 61.5, 1200),
        Gear("Entertainer's pack", 38, 4000),
        Gear("Explorer's pack", 59, 1000),
        Gear("Priest's pack", 24, 1900),
        Gear("Scholar's pack", 10, 4000),
        Gear("Component pouch", 2, 2500),
        Gear("Arcane focus", 1, 1000),
        Gear("Druidic focus", 0, 100),
        Gear("Holy symbol", 1, 500),
        Gear("Spellbook", 3, 5000),
        Gear("Thieves' tools", 1, 2500),
        Gear("Lute", 2, 3500),
        Gear("Torch", 1, 1),
        Gear("Rations", 2, 50),
        Gear("Rope, hempen (50 feet)", 10, 100),
        Gear("Potion of healing", 0.5, 5000),
    )
}


def find_weapon(name: str) -> Weapon | None:
    """The SRD weapon of that name, or None."""
    return WEAPONS.get(lookup_key(name))


def find_armor(name: str) -> Armor | None:
    """The SRD armor (or shield) of that name, or None. `"Leather armor"` finds Leather."""
    key = lookup_key(name)
    if key in ARMOR:
        return ARMOR[key]
    if key.endswith(" armor"):
        return ARMOR.get(key[: -len(" armor")])
    return None

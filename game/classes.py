"""The twelve SRD 5.1 classes as Python data: hit die, proficiencies, starting equipment, spellcasting.

Numbers come from each class's "Class Features" block and class table in the SRD. Spell slots
by level are in `game.slots` (full, half, pact); features by level in `game.class_features`.
Starting equipment is a list of choices; each choice is a tuple of options, each option a tuple
of `(item name, quantity)`. Names starting with "any " (e.g. "any simple weapon") are for the
player to pick.

Multiclassing (SRD p. 56, with its combined spell-slot table) is `game.multiclass`; the SRD subclass of
each class is `game.subclasses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from game.class_features import CLASS_FEATURES
from game.errors import RulesError
from game.slots import SpellSlots, slots_for

__all__ = ["CLASSES", "ClassInfo", "class_names", "features_at", "get_class"]

Option = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ClassInfo:
    """One class. `caster` is `full`, `half`, `pact` or `none`."""

    name: str
    hit_die: int
    saving_throws: tuple[str, str]
    skill_count: int
    skill_options: tuple[str, ...]  # empty = any skill
    armor: tuple[str, ...]
    weapons: tuple[str, ...]
    tools: tuple[str, ...]
    starting_equipment: tuple[tuple[Option, ...], ...]
    spellcasting_ability: str | None = None
    caster: str = "none"
    prepares_spells: bool = False  # prepares from the class list (else: a fixed list of known spells)
    ritual_casting: bool = False
    cantrips_known: tuple[int, ...] | None = None
    spells_known: tuple[int, ...] | None = None
    subclass_level: int = 3
    srd_subclass: str = ""
    unarmored_defense: str | None = None  # the ability added to 10 + Dex when unarmored

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def hit_die_average(self) -> int:
        """The fixed hit points per level after 1st: half the die plus one (d8 → 5)."""
        return self.hit_die // 2 + 1

    def features(self, level: int) -> tuple[str, ...]:
        """Every feature gained from 1st level up to `level`, in order."""
        return features_at(self.key, level)

    def spell_slots(self, level: int) -> SpellSlots:
        return slots_for(self.caster, level)

    def cantrips_at(self, level: int) -> int:
        return self.cantrips_known[level - 1] if self.cantrips_known else 0

    def spells_known_at(self, level: int) -> int | None:
        """Number of spells known (Bard, Ranger, Sorcerer, Warlock); None for preparing classes."""
        return self.spells_known[level - 1] if self.spells_known else None

    def max_spell_level(self, level: int) -> int:
        """Highest spell level this class can cast at `level` (0 = cantrips only or none)."""
        slots = self.spell_slots(level)
        return max([*slots.maximum, slots.pact_level], default=0)


def _table(*steps: tuple[int, int]) -> tuple[int, ...]:
    """A 20-level column from (from_level, value) steps."""
    out = []
    for level in range(1, 21):
        out.append(max((value for start, value in steps if start <= level), default=0))
    return tuple(out)


def _opt(*items: str | tuple[str, int]) -> Option:
    return tuple((item, 1) if isinstance(item, str) else item for item in items)


_ALL_SKILLS: Final[tuple[str, ...]] = ()
_SIMPLE_MARTIAL: Final = ("simple", "martial")

CLASSES: Final[dict[str, ClassInfo]] = {
    c.key: c
    for c in (
        ClassInfo(
            "Barbarian", 12, ("strength", "constitution"), 2,
            ("animal_handling", "athletics", "intimidation", "nature", "perception", "survival"),
            ("light", "medium", "shields"), _SIMPLE_MARTIAL, (),
            (
                (_opt("Greataxe"), _opt("any martial melee weapon")),
                (_opt(("Handaxe", 2)), _opt("any simple weapon")),
                (_opt("Explorer's pack", ("Javelin", 4)),),
            ),
            subclass_level=3, srd_subclass="Path of the Berserker", unarmored_defense="constitution",
        ),
        ClassInfo(
            "Bard", 8, ("dexterity", "charisma"), 3, _ALL_SKILLS,
            ("light",), ("simple", "hand crossbow", "longsword", "rapier", "shortsword"),
            ("three musical instruments",),
            (
                (_opt("Rapier"), _opt("Longsword"), _opt("any simple weapon")),
                (_opt("Diplomat's pack"), _opt("Entertainer's pack")),
                (_opt("Lute"), _opt("any musical instrument")),
                (_opt("Leather", "Dagger"),),
            ),
            "charisma", "full", False, True,
            _table((1, 2), (4, 3), (10, 4)),
            (4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 15, 16, 18, 19, 19, 20, 22, 22, 22),
            subclass_level=3, srd_subclass="College of Lore",
        ),
        ClassInfo(
            "Cleric", 8, ("wisdom", "charisma"), 2, ("history", "insight", "medicine", "persuasion", "religion"),
            ("light", "medium", "shields"), ("simple",), (),
            (
                (_opt("Mace"), _opt("Warhammer")),
                (_opt("Scale mail"), _opt("Leather"), _opt("Chain mail")),
                (_opt("Crossbow, light", ("Crossbow bolts", 20)), _opt("any simple weapon")),
                (_opt("Priest's pack"), _opt("Explorer's pack")),
                (_opt("Shield", "Holy symbol"),),
            ),
            "wisdom", "full", True, True, _table((1, 3), (4, 4), (10, 5)), None,
            subclass_level=1, srd_subclass="Life Domain",
        ),
        ClassInfo(
            "Druid", 8, ("intelligence", "wisdom"), 2,
            ("arcana", "animal_handling", "insight", "medicine", "nature", "perception", "religion", "survival"),
            ("light", "medium", "shields"),
            ("club", "dagger", "dart", "javelin", "mace", "quarterstaff", "scimitar", "sickle", "sling", "spear"),
            ("herbalism kit",),
            (
                (_opt("Shield"), _opt("any simple weapon")),
                (_opt("Scimitar"), _opt("any simple melee weapon")),
                (_opt("Leather", "Explorer's pack", "Druidic focus"),),
            ),
            "wisdom", "full", True, True, _table((1, 2), (4, 3), (10, 4)), None,
            subclass_level=2, srd_subclass="Circle of the Land",
        ),
        ClassInfo(
            "Fighter", 10, ("strength", "constitution"), 2,
            ("acrobatics", "animal_handling", "athletics", "history", "insight", "intimidation", "perception",
             "survival"),
            ("light", "medium", "heavy", "shields"), _SIMPLE_MARTIAL, (),
            (
                (_opt("Chain mail"), _opt("Leather", "Longbow", ("Arrows", 20))),
                (_opt("any martial weapon", "Shield"), _opt(("any martial weapon", 2))),
                (_opt("Crossbow, light", ("Crossbow bolts", 20)), _opt(("Handaxe", 2))),
                (_opt("Dungeoneer's pack"), _opt("Explorer's pack")),
            ),
            subclass_level=3, srd_subclass="Champion",
        ),
        ClassInfo(
            "Monk", 8, ("strength", "dexterity"), 2,
            ("acrobatics", "athletics", "history", "insight", "religion", "stealth"),
            (), ("simple", "shortsword"), ("one type of artisan's tools or one musical instrument",),
            (
                (_opt("Shortsword"), _opt("any simple weapon")),
                (_opt("Dungeoneer's pack"), _opt("Explorer's pack")),
                (_opt(("Dart", 10)),),
            ),
            subclass_level=3, srd_subclass="Way of the Open Hand", unarmored_defense="wisdom",
        ),
        ClassInfo(
            "Paladin", 10, ("wisdom", "charisma"), 2,
            ("athletics", "insight", "intimidation", "medicine", "persuasion", "religion"),
            ("light", "medium", "heavy", "shields"), _SIMPLE_MARTIAL, (),
            (
                (_opt("any martial weapon", "Shield"), _opt(("any martial weapon", 2))),
                (_opt(("Javelin", 5)), _opt("any simple melee weapon")),
                (_opt("Priest's pack"), _opt("Explorer's pack")),
                (_opt("Chain mail", "Holy symbol"),),
            ),
            "charisma", "half", True, False, None, None,
            subclass_level=3, srd_subclass="Oath of Devotion",
        ),
        ClassInfo(
            "Ranger", 10, ("strength", "dexterity"), 3,
            ("animal_handling", "athletics", "insight", "investigation", "nature", "perception", "stealth",
             "survival"),
            ("light", "medium", "shields"), _SIMPLE_MARTIAL, (),
            (
                (_opt("Scale mail"), _opt("Leather")),
                (_opt(("Shortsword", 2)), _opt(("any simple melee weapon", 2))),
                (_opt("Dungeoneer's pack"), _opt("Explorer's pack")),
                (_opt("Longbow", ("Arrows", 20)),),
            ),
            "wisdom", "half", False, False, None,
            (0, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11),
            subclass_level=3, srd_subclass="Hunter",
        ),
        ClassInfo(
            "Rogue", 8, ("dexterity", "intelligence"), 4,
            ("acrobatics", "athletics", "deception", "insight", "intimidation", "investigation", "perception",
             "performance", "persuasion", "sleight_of_hand", "stealth"),
            ("light",), ("simple", "hand crossbow", "longsword", "rapier", "shortsword"), ("thieves' tools",),
            (
                (_opt("Rapier"), _opt("Shortsword")),
                (_opt("Shortbow", ("Arrows", 20)), _opt("Shortsword")),
                (_opt("Burglar's pack"), _opt("Dungeoneer's pack"), _opt("Explorer's pack")),
                (_opt("Leather", ("Dagger", 2), "Thieves' tools"),),
            ),
            subclass_level=3, srd_subclass="Thief",
        ),
        ClassInfo(
            "Sorcerer", 6, ("constitution", "charisma"), 2,
            ("arcana", "deception", "insight", "intimidation", "persuasion", "religion"),
            (), ("dagger", "dart", "sling", "quarterstaff", "light crossbow"), (),
            (
                (_opt("Crossbow, light", ("Crossbow bolts", 20)), _opt("any simple weapon")),
                (_opt("Component pouch"), _opt("Arcane focus")),
                (_opt("Dungeoneer's pack"), _opt("Explorer's pack")),
                (_opt(("Dagger", 2)),),
            ),
            "charisma", "full", False, False, _table((1, 4), (4, 5), (10, 6)),
            (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15, 15),
            subclass_level=1, srd_subclass="Draconic Bloodline",
        ),
        ClassInfo(
            "Warlock", 8, ("wisdom", "charisma"), 2,
            ("arcana", "deception", "history", "intimidation", "investigation", "nature", "religion"),
            ("light",), ("simple",), (),
            (
                (_opt("Crossbow, light", ("Crossbow bolts", 20)), _opt("any simple weapon")),
                (_opt("Component pouch"), _opt("Arcane focus")),
                (_opt("Scholar's pack"), _opt("Dungeoneer's pack")),
                (_opt("Leather", "any simple weapon", ("Dagger", 2)),),
            ),
            "charisma", "pact", False, False, _table((1, 2), (4, 3), (10, 4)),
            (2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15),
            subclass_level=1, srd_subclass="The Fiend",
        ),
        ClassInfo(
            "Wizard", 6, ("intelligence", "wisdom"), 2,
            ("arcana", "history", "insight", "investigation", "medicine", "religion"),
            (), ("dagger", "dart", "sling", "quarterstaff", "light crossbow"), (),
            (
                (_opt("Quarterstaff"), _opt("Dagger")),
                (_opt("Component pouch"), _opt("Arcane focus")),
                (_opt("Scholar's pack"), _opt("Explorer's pack")),
                (_opt("Spellbook"),),
            ),
            "intelligence", "full", True, True, _table((1, 3), (4, 4), (10, 5)), None,
            subclass_level=2, srd_subclass="School of Evocation",
        ),
    )
}


def class_names() -> list[str]:
    return [c.name for c in CLASSES.values()]


def get_class(name: str) -> ClassInfo:
    """The class of that name (case-insensitive).

    Raises:
        RulesError: not one of the twelve SRD classes.
    """
    info = CLASSES.get(name.strip().lower())
    if info is None:
        raise RulesError(f"{name!r} is not a class. The classes are: {', '.join(class_names())}.")
    return info


def features_at(class_name: str, level: int) -> tuple[str, ...]:
    """All features a class has gained by `level` (1–20)."""
    if not 1 <= level <= 20:
        raise RulesError(f"Class level must be between 1 and 20, not {level}.")
    table = CLASS_FEATURES[get_class(class_name).key]
    return tuple(feature for row in table[:level] for feature in row)

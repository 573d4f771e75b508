"""SRD 5.1 races and subraces as Python data (ability increases, size, speed, proficiencies, traits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from game.errors import RulesError

__all__ = ["RACES", "DRACONIC_ANCESTRY", "Race", "Subrace", "get_race", "race_names", "resolve_race"]


@dataclass(frozen=True, slots=True)
class Subrace:
    name: str
    ability_bonuses: dict[str, int]
    traits: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    hp_per_level: int = 0  # Hill Dwarf's Dwarven Toughness
    extra_languages: int = 0
    cantrips: int = 0  # High Elf: one wizard cantrip
    resistances: tuple[str, ...] = ()  # Dragonborn: the ancestry's damage type


@dataclass(frozen=True, slots=True)
class Race:
    """A race. `choice_bonuses` is how many +1s the player places (Half-Elf: two, not Charisma)."""

    name: str
    ability_bonuses: dict[str, int]
    size: str
    speed: int
    languages: tuple[str, ...]
    traits: tuple[str, ...]
    darkvision: int = 0
    skills: tuple[str, ...] = ()
    skill_choices: int = 0
    weapons: tuple[str, ...] = ()
    tool_choices: tuple[str, ...] = ()
    resistances: tuple[str, ...] = ()
    extra_languages: int = 0
    choice_bonuses: int = 0
    subraces: dict[str, Subrace] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.name.lower()


# Dragonborn: dragon → (damage type, breath area, save).
DRACONIC_ANCESTRY: Final[dict[str, tuple[str, str, str]]] = {
    "black": ("acid", "5 by 30 ft. line", "dexterity"),
    "blue": ("lightning", "5 by 30 ft. line", "dexterity"),
    "brass": ("fire", "5 by 30 ft. line", "dexterity"),
    "bronze": ("lightning", "5 by 30 ft. line", "dexterity"),
    "copper": ("acid", "5 by 30 ft. line", "dexterity"),
    "gold": ("fire", "15 ft. cone", "dexterity"),
    "green": ("poison", "15 ft. cone", "constitution"),
    "red": ("fire", "15 ft. cone", "dexterity"),
    "silver": ("cold", "15 ft. cone", "constitution"),
    "white": ("cold", "15 ft. cone", "constitution"),
}


def _sub(*subraces: Subrace) -> dict[str, Subrace]:
    return {s.name.lower(): s for s in subraces}


def _ancestries() -> dict[str, Subrace]:
    """Dragonborn ancestries as subraces (SRD p. 5): each names a dragon and grants its damage resistance."""
    return _sub(
        *(
            Subrace(color.capitalize(), {}, (f"Draconic Ancestry ({damage}, {area}, {save} save)",),
                    resistances=(damage,))  # fmt: skip
            for color, (damage, area, save) in DRACONIC_ANCESTRY.items()
        )
    )


RACES: Final[dict[str, Race]] = {
    r.key: r
    for r in (
        Race(
            "Dwarf", {"constitution": 2}, "Medium", 25, ("Common", "Dwarvish"),
            ("Darkvision", "Dwarven Resilience", "Dwarven Combat Training", "Tool Proficiency", "Stonecunning",
             "Speed not reduced by heavy armor"),
            darkvision=60, weapons=("battleaxe", "handaxe", "light hammer", "warhammer"),
            tool_choices=("smith's tools", "brewer's supplies", "mason's tools"), resistances=("poison",),
            subraces=_sub(Subrace("Hill Dwarf", {"wisdom": 1}, ("Dwarven Toughness",), hp_per_level=1)),
        ),
        Race(
            "Elf", {"dexterity": 2}, "Medium", 30, ("Common", "Elvish"),
            ("Darkvision", "Keen Senses", "Fey Ancestry", "Trance"),
            darkvision=60, skills=("perception",),
            subraces=_sub(
                Subrace(
                    "High Elf", {"intelligence": 1}, ("Elf Weapon Training", "Cantrip", "Extra Language"),
                    weapons=("longsword", "shortsword", "shortbow", "longbow"), extra_languages=1, cantrips=1,
                )
            ),
        ),
        Race(
            "Halfling", {"dexterity": 2}, "Small", 25, ("Common", "Halfling"),
            ("Lucky", "Brave", "Halfling Nimbleness"),
            subraces=_sub(Subrace("Lightfoot", {"charisma": 1}, ("Naturally Stealthy",))),
        ),
        Race(
            "Human", {a: 1 for a in ("strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma")},
            "Medium", 30, ("Common",), (), extra_languages=1,
        ),
        Race(
            "Dragonborn", {"strength": 2, "charisma": 1}, "Medium", 30, ("Common", "Draconic"),
            ("Draconic Ancestry", "Breath Weapon", "Damage Resistance"),
            subraces=_ancestries(),  # the ancestry is chosen like a subrace: "red", "silver", ...
        ),
        Race(
            "Gnome", {"intelligence": 2}, "Small", 25, ("Common", "Gnomish"), ("Darkvision", "Gnome Cunning"),
            darkvision=60,
            subraces=_sub(
                Subrace("Rock Gnome", {"constitution": 1}, ("Artificer's Lore", "Tinker"), tools=("tinker's tools",))
            ),
        ),
        Race(
            "Half-Elf", {"charisma": 2}, "Medium", 30, ("Common", "Elvish"),
            ("Darkvision", "Fey Ancestry", "Skill Versatility"),
            darkvision=60, skill_choices=2, extra_languages=1, choice_bonuses=2,
        ),
        Race(
            "Half-Orc", {"strength": 2, "constitution": 1}, "Medium", 30, ("Common", "Orc"),
            ("Darkvision", "Menacing", "Relentless Endurance", "Savage Attacks"),
            darkvision=60, skills=("intimidation",),
        ),
        Race(
            "Tiefling", {"intelligence": 1, "charisma": 2}, "Medium", 30, ("Common", "Infernal"),
            ("Darkvision", "Hellish Resistance", "Infernal Legacy"),
            darkvision=60, resistances=("fire",),
        ),
    )
}


def race_names() -> list[str]:
    return [r.name for r in RACES.values()]


def get_race(name: str) -> Race:
    """The race of that name (case-insensitive).

    Raises:
        RulesError: not an SRD race.
    """
    race = RACES.get(name.strip().lower())
    if race is None:
        raise RulesError(f"{name!r} is not a race. The races are: {', '.join(race_names())}.")
    return race


def resolve_race(race: str, subrace: str | None = None) -> tuple[Race, Subrace | None]:
    """A race and its subrace (for a Dragonborn: its draconic ancestry, e.g. "red").

    A race with one SRD subrace gets it when none is named; a Dragonborn without an ancestry gets None.

    Raises:
        RulesError: unknown race, or a subrace that does not belong to it.
    """
    info = get_race(race)
    if subrace is None:
        if len(info.subraces) == 1:
            return info, next(iter(info.subraces.values()))
        return info, None
    sub = info.subraces.get(subrace.strip().lower())
    if sub is None:
        options = ", ".join(s.name for s in info.subraces.values()) or "none"
        raise RulesError(f"{subrace!r} is not a subrace of {info.name} (SRD subraces: {options}).")
    return info, sub

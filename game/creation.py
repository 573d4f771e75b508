"""Character creation and advancement (SRD 5.1 "Beyond 1st Level", "Using Ability Scores", "Equipment").

Ability scores by standard array (15, 14, 13, 12, 10, 8), point buy (27 points, scores 8–15) or
4d6 drop lowest; hit points at 1st level (max hit die + Con) and per level (roll or the fixed
average, + Con, at least 1); Armor Class from armor, shield and Dex, or Unarmored Defense; XP
thresholds and level-up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Final, Literal

from game.abilities import ABILITIES, AbilityScores, ability_modifier, ability_name, skill_name
from game.advancement import add_features, apply_subclass
from game.character import Character, Proficiencies
from game.classes import ClassInfo, get_class
from game.dice import DiceRoll, roll
from game.equipment import find_armor, find_weapon
from game.errors import InvalidCreation, RulesError
from game.inventory import Inventory, make_item
from game.multiclass import unarmored_defense as multiclass_unarmored_defense
from game.races import resolve_race
from game.subclasses import check_choices, resolve_subclass

__all__ = [
    "ASI_LEVELS",
    "DEFAULT_PICKS",
    "POINT_BUY_BUDGET",
    "POINT_BUY_COSTS",
    "STANDARD_ARRAY",
    "XP_THRESHOLDS",
    "LevelUp",
    "armor_class",
    "character_armor_class",
    "character_speed",
    "create_character",
    "hp_at_first_level",
    "add_features",
    "hp_gain",
    "level_for_xp",
    "level_up",
    "point_buy",
    "point_buy_cost",
    "roll_ability_scores",
    "standard_array",
    "xp_for_level",
]

log = logging.getLogger(__name__)

STANDARD_ARRAY: Final[tuple[int, ...]] = (15, 14, 13, 12, 10, 8)
POINT_BUY_BUDGET: Final = 27
POINT_BUY_COSTS: Final[dict[int, int]] = {8: 0, 9: 1, 10: 2, 11: 3, 12: 4, 13: 5, 14: 7, 15: 9}

# SRD "Character Advancement": XP needed for levels 1..20.
XP_THRESHOLDS: Final[tuple[int, ...]] = (
    0, 300, 900, 2_700, 6_500, 14_000, 23_000, 34_000, 48_000, 64_000,
    85_000, 100_000, 120_000, 140_000, 165_000, 195_000, 225_000, 265_000, 305_000, 355_000,
)

# Ability Score Improvement levels; Fighter and Rogue get extra ones.
ASI_LEVELS: Final[dict[str, tuple[int, ...]]] = {
    "default": (4, 8, 12, 16, 19),
    "fighter": (4, 6, 8, 12, 14, 16, 19),
    "rogue": (4, 8, 10, 12, 16, 19),
}

# Monk's Unarmored Movement: (monk level, extra feet).
UNARMORED_MOVEMENT: Final[tuple[tuple[int, int], ...]] = ((2, 10), (6, 15), (10, 20), (14, 25), (18, 30))

# What an "any ..." starting-equipment entry becomes when the player picks nothing.
DEFAULT_PICKS: Final[dict[str, str]] = {
    "any simple weapon": "Dagger",
    "any simple melee weapon": "Club",
    "any martial weapon": "Longsword",
    "any martial melee weapon": "Longsword",
    "any musical instrument": "Lute",
}


# --- ability scores ----------------------------------------------------------------------------


def _score(ability: str, value: object) -> int:
    """A whole-number score (an int, or digits as text); 8.5 or "fifteen" is refused, never truncated."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise InvalidCreation(f"{value!r} is not an ability score ({ability}); scores are whole numbers.")


def _assign(assignment: Mapping[str, int]) -> dict[str, int]:
    values = {ability_name(k): _score(k, v) for k, v in assignment.items()}
    if sorted(values) != sorted(ABILITIES):
        raise InvalidCreation("Give a score for each of the six abilities, once each.")
    return values


def standard_array(assignment: Mapping[str, int]) -> AbilityScores:
    """Scores from the standard array; each of 15, 14, 13, 12, 10, 8 used exactly once.

    Raises:
        InvalidCreation: the numbers are not the standard array.
    """
    values = _assign(assignment)
    if sorted(values.values(), reverse=True) != list(STANDARD_ARRAY):
        raise InvalidCreation("The standard array is 15, 14, 13, 12, 10 and 8, each used once.")
    return AbilityScores(**values)


def point_buy_cost(assignment: Mapping[str, int]) -> int:
    """Points spent on these scores (8 costs 0 … 15 costs 9).

    Raises:
        InvalidCreation: a score outside 8–15.
    """
    total = 0
    for ability, score in _assign(assignment).items():
        if score not in POINT_BUY_COSTS:
            raise InvalidCreation(f"With point buy every score is between 8 and 15 ({ability} is {score}).")
        total += POINT_BUY_COSTS[score]
    return total


def point_buy(assignment: Mapping[str, int]) -> AbilityScores:
    """Scores bought with at most 27 points.

    Raises:
        InvalidCreation: a score outside 8–15, or more than 27 points spent.
    """
    cost = point_buy_cost(assignment)
    if cost > POINT_BUY_BUDGET:
        raise InvalidCreation(f"Those scores cost {cost} points; point buy has {POINT_BUY_BUDGET}.")
    return AbilityScores(**_assign(assignment))


def roll_ability_scores() -> tuple[list[int], list[DiceRoll]]:
    """Six scores, each 4d6 with the lowest die dropped. Returns the scores and their rolls."""
    rolls = [roll("4d6kh3") for _ in range(6)]
    return [r.total for r in rolls], rolls


# --- hit points and armor class ----------------------------------------------------------------


def hp_at_first_level(class_name: str, constitution: int, hp_per_level: int = 0) -> int:
    """Hit die maximum + Con modifier (+1 for a Hill Dwarf), at least 1."""
    info = get_class(class_name)
    return max(1, info.hit_die + ability_modifier(constitution) + hp_per_level)


def hp_gain(
    class_name: str, constitution: int, method: Literal["average", "roll"] = "average", hp_per_level: int = 0
) -> tuple[int, DiceRoll | None]:
    """Hit points gained on a level-up: the fixed average (d8 → 5) or a roll of the hit die, + Con.

    At least 1 per level. Returns the gain and the roll (None for the average).
    """
    info = get_class(class_name)
    con = ability_modifier(constitution)
    if method == "average":
        return max(1, info.hit_die_average + con + hp_per_level), None
    if method != "roll":
        raise RulesError(f"Hit points on level-up are 'average' or 'roll', not {method!r}.")
    result = roll(f"1d{info.hit_die}")
    return max(1, result.total + con + hp_per_level), result


def armor_class(
    scores: AbilityScores,
    armor: str | None = None,
    shield: bool = False,
    unarmored_defense: str | None = None,
) -> int:
    """Armor Class from worn armor (or none), a shield, Dex, and the class's Unarmored Defense.

    Light armor adds the full Dex modifier, medium at most +2, heavy none. Unarmored: 10 + Dex,
    or with Unarmored Defense 10 + Dex + Con (Barbarian, shield allowed) / + Wis (Monk, no shield).

    Raises:
        RulesError: the armor is not an SRD armor.
    """
    dex = scores.modifier("dexterity")
    if armor is not None:
        info = find_armor(armor)
        if info is None or info.category == "shield":
            raise RulesError(f"{armor!r} is not a suit of armor.")
        bonus = 0 if not info.add_dex else (dex if info.max_dex is None else min(dex, info.max_dex))
        base = info.base_ac + bonus
    elif unarmored_defense == "draconic":  # Draconic Resilience: 13 + Dex
        base = 13 + dex
    elif unarmored_defense == "wisdom" and not shield:
        base = 10 + dex + scores.modifier("wisdom")
    elif unarmored_defense == "constitution":
        base = 10 + dex + scores.modifier("constitution")
    else:
        base = 10 + dex
    return base + (2 if shield else 0)


def character_armor_class(character: Character) -> int:
    """Armor Class from what the character has equipped."""
    armor = next((i.name for i in character.inventory.equipped if i.kind == "armor"), None)
    shield = any(i.kind == "shield" for i in character.inventory.equipped)
    unarmored = multiclass_unarmored_defense(character.class_list())  # gained once, from the first class
    ac = armor_class(character.ability_scores, armor, shield, unarmored)
    if armor is None and (character.subclass_of("sorcerer") or "").lower() == "draconic bloodline":
        ac = max(ac, armor_class(character.ability_scores, None, shield, "draconic"))  # the better base AC
    return ac


def character_speed(character: Character) -> int:
    """Walking speed: the race's, 10 feet less in heavy armor whose Strength requirement the wearer
    doesn't meet (SRD p. 63), except for dwarves ("not reduced by wearing heavy armor", SRD p. 3)."""
    race, _ = resolve_race(character.race, character.subrace)
    worn = next((i.name for i in character.inventory.equipped if i.kind == "armor"), None)
    armor = find_armor(worn) if worn else None
    too_weak = armor is not None and armor.strength is not None and character.ability_scores.strength < armor.strength
    speed = race.speed - 10 if too_weak and race.key != "dwarf" else race.speed
    return speed + _class_speed_bonus(character, armor.category if armor else None)


def _class_speed_bonus(character: Character, armor_category: str | None) -> int:
    """Fast Movement (barbarian 5+, not in heavy armor: +10) and Unarmored Movement (monk 2+, no armor or
    shield: +10, +15 at 6, +20 at 10, +25 at 14, +30 at 18)."""
    bonus = 0
    if character.class_level("barbarian") >= 5 and armor_category != "heavy":
        bonus += 10
    monk = character.class_level("monk")
    shield = any(i.kind == "shield" for i in character.inventory.equipped)
    if monk >= 2 and armor_category is None and not shield:
        bonus += max(extra for at, extra in UNARMORED_MOVEMENT if monk >= at)
    return bonus


# --- creation ----------------------------------------------------------------------------------


def _starting_inventory(
    info: ClassInfo, choices: Sequence[int] | None, picks: Sequence[str] | None
) -> Inventory:
    inventory = Inventory()
    pending = list(picks or ())
    for index, options in enumerate(info.starting_equipment):
        choice = choices[index] if choices and index < len(choices) else 0
        if not 0 <= choice < len(options):
            raise InvalidCreation(f"Equipment choice {index + 1} has options a–{chr(ord('a') + len(options) - 1)}.")
        for name, quantity in options[choice]:
            if name.startswith("any "):
                name = _pick(name, pending.pop(0) if pending else DEFAULT_PICKS[name])
            inventory.add(make_item(name, quantity))
    for kind in ("armor", "shield", "weapon"):  # wear the armor, strap on the shield, draw the first weapon
        first = next((i for i in inventory.items if i.kind == kind), None)
        if first is not None:
            inventory.equip(first.name)
    return inventory


def _pick(slot: str, name: str) -> str:
    if slot == "any musical instrument":
        return name
    weapon = find_weapon(name)
    category = "martial" if "martial" in slot else "simple"
    if weapon is None or weapon.category != category or ("melee" in slot and weapon.kind != "melee"):
        raise InvalidCreation(f"{name!r} is not {slot[4:]} ({slot}).")
    return weapon.name


def create_character(
    name: str,
    race: str,
    class_name: str,
    scores: AbilityScores,
    skills: Sequence[str],
    *,
    subrace: str | None = None,
    player_id: int | None = None,
    bonus_choices: Sequence[str] = (),
    equipment_choices: Sequence[int] | None = None,
    equipment_picks: Sequence[str] | None = None,
    subclass: str | None = None,
    choices: Mapping[str, str] | None = None,
) -> Character:
    """A new 1st-level character.

    Args:
        scores: base scores (from `standard_array`, `point_buy` or rolled) before racial increases.
        skills: the class's skill choices (plus a Half-Elf's two free skills).
        bonus_choices: abilities for a Half-Elf's two +1 increases.
        equipment_choices: option index per starting-equipment line (0 = "(a)"); default all (a).
        equipment_picks: weapons chosen for "any simple weapon"-style entries, in order.
        subclass: for a class that chooses at 1st level (cleric, sorcerer, warlock); default the SRD's one.
        choices: subclass choices (`{"dragon ancestor": "red"}`), see `game.subclasses.check_choices`.

    Raises:
        InvalidCreation / RulesError: unknown race/class, wrong skills, bad bonus choices, bad picks.
    """
    name = " ".join(str(name).split())
    if not 1 <= len(name) <= 64:
        raise InvalidCreation("A character's name is 1 to 64 characters long.")
    race_info, sub = resolve_race(race, subrace)
    info = get_class(class_name)

    bonuses: dict[str, int] = dict(race_info.ability_bonuses)
    if sub:
        for ability, value in sub.ability_bonuses.items():
            bonuses[ability] = bonuses.get(ability, 0) + value
    chosen = [ability_name(a) for a in bonus_choices]
    if len(chosen) != race_info.choice_bonuses or len(set(chosen)) != len(chosen) or set(chosen) & set(bonuses):
        raise InvalidCreation(
            f"A {race_info.name} chooses {race_info.choice_bonuses} different abilities for +1"
            + (f", not {', '.join(race_info.ability_bonuses)}." if race_info.choice_bonuses else ".")
        )
    for ability in chosen:
        bonuses[ability] = 1
    final = scores.with_bonuses(bonuses)

    skill_keys = [skill_name(s) for s in skills]
    wanted = info.skill_count + race_info.skill_choices
    if len(skill_keys) != wanted or len(set(skill_keys)) != len(skill_keys):
        raise InvalidCreation(f"A {race_info.name} {info.name} chooses {wanted} different skills.")
    class_picks = [s for s in skill_keys if not info.skill_options or s in info.skill_options]
    if len(class_picks) < info.skill_count:
        raise InvalidCreation(f"{info.name} skills are chosen from: {', '.join(info.skill_options)}.")
    all_skills = tuple(dict.fromkeys([*race_info.skills, *skill_keys]))

    hp_per_level = sub.hp_per_level if sub else 0
    max_hp = hp_at_first_level(info.name, final.constitution, hp_per_level)
    proficiencies = Proficiencies(
        saving_throws=info.saving_throws,
        skills=all_skills,
        armor=info.armor,
        weapons=tuple(dict.fromkeys([*info.weapons, *race_info.weapons, *(sub.weapons if sub else ())])),
        tools=tuple(dict.fromkeys([*info.tools, *(sub.tools if sub else ())])),
        languages=race_info.languages,
        jack_of_all_trades=False,
    )
    character = Character(
        name=name,
        player_id=player_id,
        race=race_info.name,
        subrace=sub.name if sub else None,
        class_name=info.name,
        level=1,
        ability_scores=final,
        hp=max_hp,
        max_hp=max_hp,
        speed=race_info.speed,
        hit_dice=1,
        proficiencies=proficiencies,
        inventory=_starting_inventory(info, equipment_choices, equipment_picks),
        spell_slots=info.spell_slots(1),
        features=list(info.features(1)),
    )
    apply_subclass(character, info.name, resolve_subclass(info.name, 1, subclass), 0, 1, check_choices(dict(choices or {})))
    character.armor_class = character_armor_class(character)
    character.speed = character_speed(character)
    log.debug("created %s, a level-1 %s %s", name, race_info.name, info.name)
    return character


# --- experience and levelling ------------------------------------------------------------------


def xp_for_level(level: int) -> int:
    """XP needed to reach `level` (1–20)."""
    if not 1 <= level <= 20:
        raise RulesError(f"Levels go from 1 to 20, not {level}.")
    return XP_THRESHOLDS[level - 1]


def level_for_xp(xp: int) -> int:
    """The level a character with `xp` experience points has reached."""
    if xp < 0:
        raise RulesError("Experience points cannot be negative.")
    return max(level for level, needed in enumerate(XP_THRESHOLDS, start=1) if xp >= needed)


# level_up lives in game.leveling (it builds on the functions above); re-exported here for callers.
from game.leveling import LevelUp, level_up  # noqa: E402

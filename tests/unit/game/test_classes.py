"""The 12 classes and 9 races as data, checked against the SRD's own tables.

The spellcasting tables are also read back from the SRD PDF shipped in data/srd/ and compared
row by row with the Python data, so a typo in either shows up here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pymupdf
import pytest

from game.class_features import CLASS_FEATURES
from game.classes import CLASSES, features_at, get_class
from game.errors import RulesError
from game.races import DRACONIC_ANCESTRY, RACES, get_race, resolve_race
from game.slots import FULL_CASTER_SLOTS, HALF_CASTER_SLOTS, PACT_MAGIC, slots_for

SRD_PDF = Path(__file__).resolve().parents[3] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
ORDINALS = ["1st", "2nd", "3rd"] + [f"{i}th" for i in range(4, 21)]


@pytest.mark.parametrize(
    ("name", "hit_die", "saves"),
    [
        ("Barbarian", 12, ("strength", "constitution")),
        ("Bard", 8, ("dexterity", "charisma")),
        ("Cleric", 8, ("wisdom", "charisma")),
        ("Druid", 8, ("intelligence", "wisdom")),
        ("Fighter", 10, ("strength", "constitution")),
        ("Monk", 8, ("strength", "dexterity")),
        ("Paladin", 10, ("wisdom", "charisma")),
        ("Ranger", 10, ("strength", "dexterity")),
        ("Rogue", 8, ("dexterity", "intelligence")),
        ("Sorcerer", 6, ("constitution", "charisma")),
        ("Warlock", 8, ("wisdom", "charisma")),
        ("Wizard", 6, ("intelligence", "wisdom")),
    ],
)
def test_hit_die_and_saving_throws(name: str, hit_die: int, saves: tuple[str, str]) -> None:
    info = get_class(name)
    assert info.hit_die == hit_die
    assert info.saving_throws == saves
    assert info.hit_die_average == hit_die // 2 + 1  # "1d10 (or 6)"


def test_twelve_classes_with_features_through_level_20() -> None:
    assert len(CLASSES) == 12
    assert all(len(rows) == 20 for rows in CLASS_FEATURES.values())
    assert "Extra Attack" in features_at("fighter", 5)
    assert "Extra Attack" not in features_at("fighter", 4)
    assert features_at("rogue", 1) == ("Expertise", "Sneak Attack", "Thieves' Cant")
    assert features_at("barbarian", 2)[-2:] == ("Reckless Attack", "Danger Sense")
    assert CLASS_FEATURES["wizard"][19] == ("Signature Spell",)
    assert CLASS_FEATURES["warlock"][10] == ("Mystic Arcanum (6th level)",)


def test_skill_choices_and_proficiencies() -> None:
    rogue = get_class("rogue")
    assert rogue.skill_count == 4 and "sleight_of_hand" in rogue.skill_options and len(rogue.skill_options) == 11
    assert get_class("bard").skill_count == 3 and get_class("bard").skill_options == ()  # any three
    assert get_class("ranger").skill_count == 3
    assert get_class("fighter").armor == ("light", "medium", "heavy", "shields")
    assert get_class("wizard").armor == ()
    assert "martial" in get_class("paladin").weapons
    assert get_class("rogue").tools == ("thieves' tools",)


def test_spellcasting_abilities_and_progressions() -> None:
    expected = {
        "bard": ("charisma", "full"), "cleric": ("wisdom", "full"), "druid": ("wisdom", "full"),
        "paladin": ("charisma", "half"), "ranger": ("wisdom", "half"), "sorcerer": ("charisma", "full"),
        "warlock": ("charisma", "pact"), "wizard": ("intelligence", "full"),
        "barbarian": (None, "none"), "fighter": (None, "none"), "monk": (None, "none"), "rogue": (None, "none"),
    }
    for key, (ability, caster) in expected.items():
        assert (CLASSES[key].spellcasting_ability, CLASSES[key].caster) == (ability, caster), key


def test_starting_equipment_options() -> None:
    fighter = get_class("fighter").starting_equipment
    assert fighter[0][0] == (("Chain mail", 1),)
    assert fighter[0][1] == (("Leather", 1), ("Longbow", 1), ("Arrows", 20))
    assert get_class("monk").starting_equipment[-1] == ((("Dart", 10),),)


@pytest.mark.parametrize(
    ("progression", "level", "slots"),
    [
        ("full", 1, {1: 2}),
        ("full", 3, {1: 4, 2: 2}),
        ("full", 5, {1: 4, 2: 3, 3: 2}),
        ("full", 17, {1: 4, 2: 3, 3: 3, 4: 3, 5: 2, 6: 1, 7: 1, 8: 1, 9: 1}),
        ("full", 20, {1: 4, 2: 3, 3: 3, 4: 3, 5: 3, 6: 2, 7: 2, 8: 1, 9: 1}),
        ("half", 1, {}),
        ("half", 2, {1: 2}),
        ("half", 5, {1: 4, 2: 2}),
        ("half", 20, {1: 4, 2: 3, 3: 3, 4: 3, 5: 2}),
        ("none", 20, {}),
    ],
)
def test_slot_tables(progression: str, level: int, slots: dict[int, int]) -> None:
    result = slots_for(progression, level)
    assert result.maximum == slots and result.current == slots


@pytest.mark.parametrize(("level", "count", "slot_level"), [(1, 1, 1), (2, 2, 1), (3, 2, 2), (5, 2, 3), (9, 2, 5),
                                                            (11, 3, 5), (17, 4, 5), (20, 4, 5)])
def test_pact_magic(level: int, count: int, slot_level: int) -> None:
    slots = slots_for("pact", level)
    assert (slots.pact_maximum, slots.pact_level, slots.maximum) == (count, slot_level, {})


def test_half_casters_follow_the_full_table_at_half_level() -> None:
    """An independent formula: from 2nd level a half caster has a full caster's slots at ceil(level / 2)."""
    for level in range(2, 21):
        assert HALF_CASTER_SLOTS[level - 1] == FULL_CASTER_SLOTS[math.ceil(level / 2) - 1], level


def test_cantrips_and_spells_known() -> None:
    assert [get_class("wizard").cantrips_at(lv) for lv in (1, 4, 10, 20)] == [3, 4, 5, 5]
    assert [get_class("sorcerer").cantrips_at(lv) for lv in (1, 4, 10)] == [4, 5, 6]
    assert [get_class("bard").spells_known_at(lv) for lv in (1, 10, 18, 20)] == [4, 14, 22, 22]
    assert get_class("ranger").spells_known_at(1) == 0
    assert get_class("cleric").spells_known_at(5) is None
    assert get_class("paladin").max_spell_level(20) == 5
    assert get_class("warlock").max_spell_level(9) == 5
    assert get_class("fighter").max_spell_level(20) == 0


def test_unknown_class_is_refused() -> None:
    with pytest.raises(RulesError, match="not a class"):
        get_class("Artificer")


def test_races_and_subraces() -> None:
    assert len(RACES) == 9
    dwarf, hill = resolve_race("Dwarf")
    assert dwarf.speed == 25 and dwarf.ability_bonuses == {"constitution": 2}
    assert hill is not None and hill.name == "Hill Dwarf" and hill.hp_per_level == 1
    assert get_race("human").ability_bonuses == dict.fromkeys(
        ["strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma"], 1)
    assert get_race("Half-Elf").choice_bonuses == 2 and get_race("half-elf").skill_choices == 2
    assert get_race("halfling").size == "Small"
    assert get_race("tiefling").resistances == ("fire",)
    assert DRACONIC_ANCESTRY["green"] == ("poison", "15 ft. cone", "constitution")
    assert resolve_race("human") == (get_race("human"), None)
    with pytest.raises(RulesError):
        resolve_race("elf", "wood elf")  # not in the SRD
    with pytest.raises(RulesError):
        get_race("orc")


# --- cross-check with the SRD PDF ---------------------------------------------------------------


@pytest.fixture(scope="module")
def srd_class_lines() -> list[str]:
    doc = pymupdf.open(SRD_PDF)
    text = "\n".join(doc[page].get_text() for page in range(7, 56)).replace("\u0336", "")
    return [re.sub(r"[\t\r\xa0 ]+", " ", line).strip() for line in text.split("\n")]


def _table_rows(lines: list[str], name: str) -> list[list[str]]:
    """Each of the 20 rows of a class table, as the text cells after the proficiency bonus."""
    i = lines.index(f"The {name}")
    rows: list[list[str]] = []
    while len(rows) < 20:
        level = len(rows)
        if lines[i] == ORDINALS[level] and lines[i + 1].startswith("+"):
            j, cells = i + 2, []
            stop = ORDINALS[level + 1] if level < 19 else None
            while lines[j] != stop and j < i + 15:
                cells.append(lines[j])
                j += 1
            rows.append(cells)
            i = j
        else:
            i += 1
    return rows


def _numbers(cells: list[str]) -> list[int]:
    """The first run of whole-number cells (the table's numeric columns)."""
    out: list[int] = []
    for cell in cells:
        if cell.isdigit():
            out.append(int(cell))
        elif out:
            break
    return out


@pytest.mark.parametrize(("name", "prefix"), [("Wizard", 1), ("Cleric", 1), ("Druid", 1), ("Bard", 2)])
def test_full_caster_tables_match_the_srd_pdf(srd_class_lines: list[str], name: str, prefix: int) -> None:
    info = get_class(name)
    for level, cells in enumerate(_table_rows(srd_class_lines, name), start=1):
        numbers = _numbers(cells)
        assert numbers[0] == info.cantrips_at(level), (name, level)
        if prefix == 2:
            assert numbers[1] == info.spells_known_at(level), (name, level)
        assert tuple(numbers[prefix:]) == FULL_CASTER_SLOTS[level - 1], (name, level)


@pytest.mark.parametrize(("name", "prefix"), [("Paladin", 0), ("Ranger", 1)])
def test_half_caster_tables_match_the_srd_pdf(srd_class_lines: list[str], name: str, prefix: int) -> None:
    info = get_class(name)
    for level, cells in enumerate(_table_rows(srd_class_lines, name), start=1):
        numbers = _numbers(cells)
        if prefix:
            assert (numbers[0] if numbers else 0) == info.spells_known_at(level), (name, level)
        assert tuple(numbers[prefix:]) == HALF_CASTER_SLOTS[level - 1], (name, level)


def test_warlock_table_matches_the_srd_pdf(srd_class_lines: list[str]) -> None:
    info = get_class("warlock")
    for level, cells in enumerate(_table_rows(srd_class_lines, "Warlock"), start=1):
        numbers = _numbers(cells)
        cantrips, known, slots = numbers[:3]
        slot_level = next(c for c in cells if re.fullmatch(r"\d(st|nd|rd|th)", c))
        assert (cantrips, known) == (info.cantrips_at(level), info.spells_known_at(level)), level
        assert (slots, int(slot_level[0])) == PACT_MAGIC[level - 1], level


def test_barbarian_eleventh_level_feature_is_relentless_rage() -> None:
    # SRD p. 8, the Barbarian table: "11th +4 Relentless Rage".
    assert CLASS_FEATURES["barbarian"][10] == ("Relentless Rage",)


def test_dragonborn_ancestry_is_a_choice_that_sets_the_damage_resistance() -> None:
    # SRD p. 5 (Dragonborn): "Choose one type of dragon from the Draconic Ancestry table. ... You have
    # resistance to the damage type associated with your draconic ancestry."
    race, red = resolve_race("Dragonborn", "red")
    assert red is not None and red.resistances == ("fire",) and red.ability_bonuses == {}
    assert resolve_race("dragonborn", "Silver")[1].resistances == ("cold",)
    assert {resolve_race("dragonborn", c)[1].resistances[0] for c in DRACONIC_ANCESTRY} == {
        "acid", "lightning", "fire", "poison", "cold"}  # fmt: skip
    with pytest.raises(RulesError):
        resolve_race("dragonborn", "purple")

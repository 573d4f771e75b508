"""Character creation and advancement with the SRD's numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.abilities import AbilityScores
from game.character import Character
from game.classes import get_class
from game.creation import (
    XP_THRESHOLDS,
    armor_class,
    character_armor_class,
    create_character,
    hp_at_first_level,
    hp_gain,
    level_for_xp,
    level_up,
    point_buy,
    point_buy_cost,
    roll_ability_scores,
    standard_array,
    xp_for_level,
)
from game.dice import seeded
from game.errors import InvalidCreation, RulesError

ARRAY = {"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8}


# --- ability scores ----------------------------------------------------------------------------


def test_standard_array_in_any_order() -> None:
    scores = standard_array({"cha": 15, "wis": 14, "con": 13, "dex": 12, "int": 10, "str": 8})
    assert scores == AbilityScores(strength=8, dexterity=12, constitution=13, intelligence=10, wisdom=14, charisma=15)


@pytest.mark.parametrize(
    "assignment",
    [
        {**ARRAY, "str": 16},
        {**ARRAY, "cha": 15},
        {k: v for k, v in ARRAY.items() if k != "cha"},
    ],
)
def test_standard_array_refuses_other_numbers(assignment: dict[str, int]) -> None:
    with pytest.raises(InvalidCreation):
        standard_array(assignment)


def test_point_buy_costs_from_the_srd() -> None:
    assert point_buy_cost(dict.fromkeys(ARRAY, 8)) == 0
    assert point_buy_cost({**dict.fromkeys(ARRAY, 8), "str": 13}) == 5
    assert point_buy_cost({**dict.fromkeys(ARRAY, 8), "str": 14}) == 7
    assert point_buy_cost({**dict.fromkeys(ARRAY, 8), "str": 15}) == 9
    assert point_buy_cost(ARRAY) == 9 + 7 + 5 + 4 + 2 + 0  # the standard array costs 27


def test_point_buy_budget_and_range() -> None:
    three_fifteens = {"str": 15, "dex": 15, "con": 15, "int": 8, "wis": 8, "cha": 8}
    assert point_buy(three_fifteens).constitution == 15  # exactly 27
    with pytest.raises(InvalidCreation, match="28 points"):
        point_buy({**three_fifteens, "int": 9})
    with pytest.raises(InvalidCreation, match="between 8 and 15"):
        point_buy({**three_fifteens, "str": 16, "dex": 8})
    with pytest.raises(InvalidCreation, match="between 8 and 15"):
        point_buy({**three_fifteens, "cha": 7})


def test_rolled_scores_are_six_4d6_drop_lowest() -> None:
    with seeded(3):
        scores, rolls = roll_ability_scores()
    assert len(scores) == 6 and all(3 <= s <= 18 for s in scores)
    assert all(len(r.rolls) == 4 and sum(d.kept for d in r.rolls) == 3 for r in rolls)
    assert scores == [r.total for r in rolls]
    assert scores[0] == 12  # seeded: 4d6kh3 (2, 5, 5, ~~2~~)


# --- hit points and armor class ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "con", "expected"),
    [("barbarian", 16, 15), ("fighter", 14, 12), ("wizard", 8, 5), ("sorcerer", 1, 1), ("cleric", 10, 8)],
)
def test_hp_at_first_level_is_max_die_plus_con(cls: str, con: int, expected: int) -> None:
    assert hp_at_first_level(cls, con) == expected


def test_hp_gain_average_or_roll() -> None:
    assert hp_gain("fighter", 14)[0] == 6 + 2
    assert hp_gain("wizard", 10)[0] == 4
    assert hp_gain("barbarian", 10, hp_per_level=1)[0] == 8
    assert hp_gain("wizard", 3)[0] == 1  # at least 1 per level
    gained, rolled = hp_gain("fighter", 14, "roll")
    assert rolled is not None and gained == rolled.total + 2 and 3 <= gained <= 12


@pytest.mark.parametrize(
    ("armor", "shield", "unarmored", "dex", "con", "wis", "expected"),
    [
        (None, False, None, 14, 10, 10, 12),
        ("Leather", False, None, 16, 10, 10, 14),
        ("Studded leather", True, None, 20, 10, 10, 19),
        ("Chain shirt", False, None, 18, 10, 10, 15),  # medium: Dex at most +2
        ("Half plate", True, None, 8, 10, 10, 16),
        ("Plate", False, None, 8, 10, 10, 18),  # heavy: no Dex, even negative
        ("Chain mail", True, None, 16, 10, 10, 18),
        (None, False, "constitution", 14, 16, 10, 15),  # Barbarian
        (None, True, "constitution", 14, 16, 10, 17),  # Barbarian keeps it with a shield
        (None, False, "wisdom", 16, 10, 16, 16),  # Monk
        (None, True, "wisdom", 16, 10, 16, 15),  # Monk loses it with a shield
        ("Leather", False, "wisdom", 16, 10, 16, 14),  # armor replaces unarmored defense
    ],
)
def test_armor_class(armor: str | None, shield: bool, unarmored: str | None, dex: int, con: int, wis: int,
                     expected: int) -> None:
    scores = AbilityScores(dexterity=dex, constitution=con, wisdom=wis)
    assert armor_class(scores, armor, shield, unarmored) == expected


def test_armor_class_refuses_non_armor() -> None:
    with pytest.raises(RulesError):
        armor_class(AbilityScores(), "Shield")
    with pytest.raises(RulesError):
        armor_class(AbilityScores(), "Mithral Dreams")


# --- creating a character ----------------------------------------------------------------------


def test_hill_dwarf_fighter(fighter: Character) -> None:
    assert fighter.race == "Dwarf" and fighter.subrace == "Hill Dwarf"
    assert fighter.ability_scores.constitution == 15 and fighter.ability_scores.wisdom == 11
    assert fighter.max_hp == fighter.hp == 10 + 2 + 1  # Dwarven Toughness
    assert fighter.armor_class == 16 + 2  # chain mail and shield, option (a)
    assert fighter.speed == 25
    assert fighter.hit_dice == 1
    assert set(fighter.proficiencies.weapons) >= {"simple", "martial", "battleaxe", "warhammer"}
    assert fighter.proficiencies.saving_throws == ("strength", "constitution")
    assert fighter.features == ["Fighting Style", "Second Wind"]
    equipped = {i.name for i in fighter.inventory.equipped}
    assert equipped == {"Chain mail", "Shield", "Longsword"}
    assert fighter.inventory.quantity("Crossbow bolts") == 20


def test_equipment_choices_and_picks() -> None:
    ranger = create_character(
        "Ash", "human", "ranger", standard_array(ARRAY), ["stealth", "survival", "nature"],
        equipment_choices=[1, 1, 0], equipment_picks=["Handaxe"],
    )
    assert ranger.inventory.quantity("Handaxe") == 2
    assert ranger.armor_class == 11 + 2  # leather, Dex 14+1
    assert ranger.inventory.quantity("Arrows") == 20
    with pytest.raises(InvalidCreation):
        create_character("Ash", "human", "ranger", standard_array(ARRAY), ["stealth", "survival", "nature"],
                         equipment_choices=[1, 1], equipment_picks=["Longsword"])  # not simple melee


def test_half_elf_choices() -> None:
    bard = create_character(
        "Lark", "half-elf", "bard", standard_array({**ARRAY, "cha": 15, "str": 8}),
        ["performance", "persuasion", "deception", "insight", "perception"], bonus_choices=["dex", "con"],
    )
    assert bard.ability_scores.charisma == 17 and bard.ability_scores.dexterity == 15
    assert bard.spell_slots.maximum == {1: 2}
    with pytest.raises(InvalidCreation):
        create_character("Lark", "half-elf", "bard", standard_array({**ARRAY, "cha": 15, "str": 8}),
                         ["performance", "persuasion", "deception", "insight", "perception"],
                         bonus_choices=["cha", "con"])


def test_skill_choices_are_checked() -> None:
    with pytest.raises(InvalidCreation, match="chooses 2"):
        create_character("X", "human", "wizard", standard_array(ARRAY), ["arcana"])
    with pytest.raises(InvalidCreation, match="chosen from"):
        create_character("X", "human", "wizard", standard_array(ARRAY), ["arcana", "stealth"])


def test_unknown_race_or_class() -> None:
    with pytest.raises(RulesError):
        create_character("X", "orc", "wizard", standard_array(ARRAY), ["arcana", "history"])
    with pytest.raises(RulesError):
        create_character("X", "human", "artificer", standard_array(ARRAY), ["arcana", "history"])


def test_monk_and_barbarian_unarmored_defense() -> None:
    monk = create_character("Li", "human", "monk", standard_array({**ARRAY, "str": 10, "wis": 15}),
                            ["acrobatics", "stealth"])
    assert monk.armor_class == 10 + 2 + 3  # Dex 15, Wis 16
    barb = create_character("Ulf", "half-orc", "barbarian", standard_array({**ARRAY, "con": 14, "dex": 13}),
                            ["athletics", "survival"])
    assert barb.armor_class == 10 + 1 + 2
    assert barb.max_hp == 12 + 2
    assert "intimidation" in barb.proficiencies.skills  # Menacing


# --- XP and levelling --------------------------------------------------------------------------


def test_xp_thresholds() -> None:
    assert XP_THRESHOLDS[:5] == (0, 300, 900, 2_700, 6_500)
    assert xp_for_level(20) == 355_000
    assert level_for_xp(0) == 1 and level_for_xp(299) == 1 and level_for_xp(300) == 2
    assert level_for_xp(6_499) == 4 and level_for_xp(6_500) == 5 and level_for_xp(10**9) == 20


@given(st.integers(min_value=0, max_value=400_000))
def test_property_level_for_xp_is_monotone_and_consistent(xp: int) -> None:
    level = level_for_xp(xp)
    assert xp_for_level(level) <= xp
    assert level == 20 or xp < xp_for_level(level + 1)


def test_level_up_needs_the_xp(fighter: Character) -> None:
    with pytest.raises(RulesError, match="needs 300 XP"):
        level_up(fighter)
    fighter.award_xp(300)
    event = level_up(fighter)
    assert (event.level, event.hp_gained, fighter.max_hp, fighter.hp) == (2, 6 + 2 + 1, 22, 22)
    assert event.new_features == ("Action Surge (one use)",)
    assert fighter.hit_dice == 2


def test_level_up_to_20_average_hp(fighter: Character) -> None:
    for _ in range(19):
        level_up(fighter, milestone=True)
    assert fighter.level == 20 and fighter.proficiency_bonus == 6
    assert fighter.max_hp == (10 + 2 + 1) + 19 * (6 + 2 + 1)
    assert fighter.hit_dice == 20
    assert "Extra Attack (3)" in fighter.features and "Indomitable (three uses)" in fighter.features
    with pytest.raises(RulesError, match="already level 20"):
        level_up(fighter, milestone=True)


def test_ability_score_improvement_and_retroactive_con(fighter: Character) -> None:
    for _ in range(3):
        level_up(fighter, milestone=True)
    assert fighter.level == 4 and fighter.max_hp == 13 + 3 * 9
    with pytest.raises(RulesError, match="no Ability Score Improvement"):
        level_up(fighter, milestone=True, ability_increases={"con": 1, "str": 1})  # level 5: no ASI
    assert fighter.level == 4
    level_up(fighter, milestone=True)
    event = level_up(fighter, milestone=True, ability_increases={"con": 1, "str": 1})  # Fighter ASI at 6
    assert fighter.ability_scores.constitution == 16 and fighter.ability_scores.strength == 16
    # +9 for the new level with Con +3 → 10, plus 1 for each of the 5 earlier levels
    assert event.hp_gained == (6 + 3 + 1) + 5
    level_up(fighter, milestone=True)
    with pytest.raises(RulesError, match=r"\+2 to one"):
        level_up(fighter, milestone=True, ability_increases={"con": 3})  # level 8 has an ASI, but +3 is not one
    assert fighter.level == 7


def test_level_up_adds_slots_without_refunding_spent_ones(wizard: Character) -> None:
    wizard.spell_slots.spend(1)
    wizard.award_xp(900)
    level_up(wizard)
    assert wizard.spell_slots.maximum == {1: 3}
    assert wizard.spell_slots.current == {1: 2}  # one still spent
    level_up(wizard)
    assert wizard.spell_slots.maximum == {1: 4, 2: 2} and wizard.spell_slots.current == {1: 3, 2: 2}


def test_warlock_pact_slots_grow(wizard: Character) -> None:
    warlock = create_character("Vex", "tiefling", "warlock", standard_array({**ARRAY, "cha": 15, "str": 8}),
                               ["arcana", "deception"])
    assert (warlock.spell_slots.pact_maximum, warlock.spell_slots.pact_level) == (1, 1)
    for _ in range(4):
        level_up(warlock, milestone=True)
    assert (warlock.spell_slots.pact_maximum, warlock.spell_slots.pact_level) == (2, 3)


def test_armor_class_follows_equipment(fighter: Character) -> None:
    fighter.inventory.unequip("Shield")
    assert character_armor_class(fighter) == 16
    fighter.inventory.unequip("Chain mail")
    assert character_armor_class(fighter) == 10 + 2


@given(st.sampled_from(["fighter", "wizard", "barbarian", "cleric"]), st.integers(1, 19))
@settings(max_examples=30, deadline=None)
def test_property_max_hp_is_first_level_plus_averages(cls: str, levels: int) -> None:
    character = create_character("P", "human", cls, standard_array(ARRAY),
                                 list(get_class(cls).skill_options[:2]))
    con = character.modifier("constitution")
    for _ in range(levels):
        level_up(character, milestone=True)
    die = character.hit_die
    assert character.max_hp == die + con + levels * (die // 2 + 1 + con)
    assert character.hp == character.max_hp


def test_heavy_armor_without_the_strength_slows_the_wearer_by_ten_feet() -> None:
    # SRD p. 63 (Heavy Armor): "Str 13"/"Str 15" — "the armor reduces the wearer's speed by 10 feet unless
    # the wearer has a Strength score equal to or higher than the listed score." Dwarves are exempt (SRD p. 3).
    weak = {"str": 8, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 15}
    human = create_character("Ned", "human", "fighter", standard_array(weak), ["athletics", "history"])
    assert human.ability_scores.strength == 9 and human.inventory.find("Chain mail").equipped
    assert human.speed == 20
    strong = create_character("Ned", "human", "fighter", standard_array(ARRAY), ["athletics", "history"])
    assert strong.speed == 30  # Str 16 ≥ 13
    dwarf = create_character("Dain", "dwarf", "fighter", standard_array(weak), ["athletics", "history"])
    assert dwarf.speed == 25
    leather = create_character("Ned", "human", "fighter", standard_array(weak), ["athletics", "history"],
                               equipment_choices=[1])  # leather armor: no requirement
    assert leather.speed == 30


def test_strength_improvement_lifts_the_heavy_armor_penalty() -> None:
    scores = {"str": 12, "dex": 14, "con": 13, "int": 8, "wis": 10, "cha": 15}
    paladin = create_character("Ser", "human", "paladin", standard_array(scores), ["athletics", "religion"])
    assert paladin.ability_scores.strength == 13 and paladin.speed == 30  # human +1 → Str 13; chain mail needs 13
    weak = create_character("Ser", "half-elf", "paladin", standard_array(scores), ["athletics", "religion",
                            "insight", "medicine"], bonus_choices=["dex", "con"])  # fmt: skip
    assert weak.ability_scores.strength == 12 and weak.speed == 20
    for _ in range(2):
        level_up(weak, milestone=True)
    assert weak.level == 3 and weak.speed == 20
    level_up(weak, milestone=True, ability_increases={"strength": 1, "constitution": 1})  # level 4 ASI
    assert weak.ability_scores.strength == 13 and weak.speed == 30


def test_bad_creation_input_is_an_invalid_creation_not_a_pydantic_error() -> None:
    with pytest.raises(InvalidCreation):
        create_character("x" * 100, "elf", "wizard", standard_array(ARRAY), ["arcana", "history"])
    with pytest.raises(InvalidCreation):
        create_character("   ", "elf", "wizard", standard_array(ARRAY), ["arcana", "history"])
    with pytest.raises(InvalidCreation):
        standard_array({**ARRAY, "str": "fifteen"})
    with pytest.raises(InvalidCreation):  # 8.5 is not a score; it is not silently truncated to 8
        point_buy({"str": 8.5, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    assert standard_array({**ARRAY, "str": "15"}).strength == 15  # digits from a form are fine


def test_level_up_at_exhaustion_four_keeps_hp_within_the_halved_maximum(fighter: Character) -> None:
    # Brom: 13/13. Exhaustion 4 → maximum 6 (SRD p. 358). A level-up raises the maximum by 6 + 2 + 1 = 9 → 22,
    # halved 11; hit points rise with it but not above 11.
    fighter.set_exhaustion(4)
    assert fighter.hp == 6
    level_up(fighter, milestone=True)
    assert fighter.max_hp == 22 and fighter.hit_point_maximum == 11
    assert fighter.hp == 11

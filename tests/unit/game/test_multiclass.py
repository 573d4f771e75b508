"""Multiclassing with the SRD's numbers (SRD 5.1 p. 56–58), worked by hand in each test."""

from __future__ import annotations

import pytest

from game.abilities import AbilityScores
from game.character import Character
from game.creation import create_character, level_up
from game.errors import RulesError
from game.multiclass import (
    ClassLevel,
    MulticlassError,
    attacks_per_action,
    caster_level,
    channel_divinity_uses,
    check_multiclass,
    hit_dice_pool,
    meets_prerequisites,
    multiclass_spell_slots,
    proficiencies_gained,
    unarmored_defense,
)


def _make(class_name: str, scores: AbilityScores, skills: list[str]) -> Character:
    return create_character("Multi", "Human", class_name, scores, skills)


def _levels(character: Character, *steps: str) -> None:
    for class_name in steps:
        level_up(character, class_name=class_name, milestone=True)


def test_fighter_2_wizard_3_has_the_srds_slots_hit_points_and_proficiencies() -> None:
    # Human: Str 15+1, Dex 12+1, Con 13+1 (+2), Int 13+1, Wis 10+1, Cha 8+1.
    scores = AbilityScores(strength=15, dexterity=12, constitution=13, intelligence=13, wisdom=10, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    _levels(hero, "fighter", "wizard", "wizard", "wizard")
    # HP: fighter 1 = 10 + 2; fighter 2 = 6 + 2; each wizard level = 4 (d6 average) + 2 → 12 + 8 + 3 × 6 = 38.
    assert hero.max_hp == hero.hp == 38
    assert hero.level == 5 and hero.class_name == "Fighter"
    assert [(c.name, c.level) for c in hero.classes] == [("Fighter", 2), ("Wizard", 3)]
    assert hero.proficiency_bonus == 3  # total level 5
    # Only the wizard has Spellcasting: its own table at wizard 3 (= multiclass table at 3): 4 × 1st, 2 × 2nd.
    assert hero.spell_slots.maximum == {1: 4, 2: 2} and hero.spell_slots.pact_maximum == 0
    # A wizard level gives no proficiencies to a multiclass character; saving throws stay the fighter's.
    assert hero.proficiencies.saving_throws == ("strength", "constitution")
    assert set(hero.proficiencies.armor) == {"light", "medium", "heavy", "shields"}
    assert hit_dice_pool(hero.classes) == {10: 2, 6: 3}
    assert hero.hit_dice == 5
    # The wizard levels cast with Intelligence 14 (+2): DC 8 + 3 + 2.
    assert hero.spellcasting_ability == "intelligence" and hero.spell_save_dc == 13
    # Wizard 2 is when the SRD's School of Evocation comes.
    assert hero.subclass_of("wizard") == "School of Evocation" and hero.subclass is None
    assert {"Second Wind", "Action Surge (one use)", "Spellcasting", "Arcane Recovery", "Sculpt Spells"} <= set(
        hero.features
    )


def test_paladin_2_warlock_2_has_the_srds_slots_hit_points_and_proficiencies() -> None:
    # Human: Str 16, Dex 11, Con 15 (+2), Int 9, Wis 13, Cha 14.
    scores = AbilityScores(strength=15, dexterity=10, constitution=14, intelligence=8, wisdom=12, charisma=13)
    hero = _make("Paladin", scores, ["athletics", "persuasion"])
    _levels(hero, "paladin", "warlock", "warlock")
    # HP: paladin 1 = 10 + 2; paladin 2 = 6 + 2; each warlock level = 5 (d8 average) + 2 → 12 + 8 + 7 + 7 = 34.
    assert hero.max_hp == 34
    # Spellcasting from the paladin only (Pact Magic isn't Spellcasting): paladin 2's table, 2 × 1st level;
    # Pact Magic alongside: warlock 2 has two 1st-level pact slots.
    slots = hero.spell_slots
    assert slots.maximum == {1: 2}
    assert (slots.pact_level, slots.pact_maximum, slots.pact_current) == (1, 2, 2)
    assert slots.available(1) == 4
    # Warlock multiclass proficiencies: light armor and simple weapons, which a paladin already has.
    assert hero.proficiencies.saving_throws == ("wisdom", "charisma")
    assert set(hero.proficiencies.armor) == {"light", "medium", "heavy", "shields"}
    assert hit_dice_pool(hero.classes) == {10: 2, 8: 2}
    # The warlock chooses its patron at 1st level: the SRD's Fiend.
    assert hero.subclass_of("warlock") == "The Fiend" and "Dark One's Blessing" in hero.features


def test_multiclass_spellcaster_table_adds_full_and_half_levels() -> None:
    # SRD p. 58: a ranger 4 / wizard 3 counts as 5th level: four 1st, three 2nd, two 3rd.
    classes = [ClassLevel(name="Ranger", level=4), ClassLevel(name="Wizard", level=3)]
    assert caster_level(classes) == 5
    assert multiclass_spell_slots(classes).maximum == {1: 4, 2: 3, 3: 2}
    # Paladin 3 → 1 (rounded down) + cleric 3 = 4: 4, 3.
    both = [ClassLevel(name="Cleric", level=3), ClassLevel(name="Paladin", level=3)]
    assert multiclass_spell_slots(both).maximum == {1: 4, 2: 3}
    # A single half caster follows its own table (paladin 3: three 1st-level slots), not the combined one.
    alone = [ClassLevel(name="Paladin", level=3), ClassLevel(name="Fighter", level=2)]
    assert multiclass_spell_slots(alone).maximum == {1: 3}


def test_prerequisites_of_old_and_new_class_are_checked_with_a_clear_sentence() -> None:
    scores = AbilityScores(strength=15, dexterity=12, constitution=14, intelligence=10, wisdom=12, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    with pytest.raises(MulticlassError, match=r"Wizard needs Intelligence 13.*Nothing was changed"):
        level_up(hero, class_name="wizard", milestone=True)
    assert hero.level == 1 and len(hero.classes) == 1  # nothing changed
    # The old class counts too: a wizard with Int 12 can't leave for fighter.
    weak = {"strength": 14, "dexterity": 12, "constitution": 12, "intelligence": 12, "wisdom": 10, "charisma": 8}
    with pytest.raises(MulticlassError, match="Wizard needs Intelligence 13"):
        check_multiclass(["Wizard"], "Fighter", weak)
    check_multiclass(["Wizard"], "Wizard", weak)  # more levels in a class you have: no check
    assert meets_prerequisites("fighter", {**weak, "strength": 8, "dexterity": 13})  # Str 13 or Dex 13
    assert not meets_prerequisites("monk", {**weak, "dexterity": 13, "wisdom": 12})  # Dex 13 and Wis 13


def test_proficiencies_gained_follow_the_reduced_table() -> None:
    assert proficiencies_gained("rogue", ["stealth"]).tools == ("thieves' tools",)
    assert proficiencies_gained("fighter").weapons == ("simple", "martial")
    assert proficiencies_gained("wizard").armor == ()
    with pytest.raises(MulticlassError, match="1 skill"):
        proficiencies_gained("ranger")
    with pytest.raises(MulticlassError, match="Ranger skills"):
        proficiencies_gained("ranger", ["arcana"])


def test_rogue_multiclass_takes_a_skill_and_thieves_tools() -> None:
    scores = AbilityScores(strength=15, dexterity=13, constitution=14, intelligence=10, wisdom=12, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    level_up(hero, class_name="rogue", skills=["stealth"], milestone=True)
    assert "stealth" in hero.proficiencies.skills and "thieves' tools" in hero.proficiencies.tools
    assert hero.max_hp == 10 + 2 + 5 + 2  # fighter 1, then rogue d8 average 5 + Con 2


def test_extra_attack_does_not_stack_and_unarmored_defense_comes_once() -> None:
    assert attacks_per_action([ClassLevel(name="Paladin", level=5), ClassLevel(name="Fighter", level=5)]) == 2
    assert attacks_per_action([ClassLevel(name="Fighter", level=11), ClassLevel(name="Ranger", level=5)]) == 3
    assert unarmored_defense([ClassLevel(name="Monk", level=2), ClassLevel(name="Barbarian", level=1)]) == "wisdom"
    assert channel_divinity_uses([ClassLevel(name="Cleric", level=6), ClassLevel(name="Paladin", level=4)]) == 2
    scores = AbilityScores(strength=15, dexterity=13, constitution=14, intelligence=8, wisdom=13, charisma=13)
    hero = _make("Barbarian", scores, ["athletics", "survival"])
    _levels(hero, *["barbarian"] * 4, "monk")
    assert hero.features.count("Unarmored Defense") == 1 and "Unarmored Defense (2)" not in hero.features
    assert hero.features.count("Extra Attack") == 1


def test_old_single_class_rows_build_their_classes() -> None:
    row = {"name": "Old", "race": "Human", "class_name": "Cleric", "subclass": "Life Domain", "level": 4,
           "hp": 20, "max_hp": 20, "hit_dice": 4, "schema_version": 1}
    old = Character.from_dict(row)
    assert old.classes == [ClassLevel(name="Cleric", subclass="Life Domain", level=4)]
    again = Character.from_dict(old.to_dict())
    assert again.classes == old.classes and again.schema_version == old.schema_version


def test_a_multiclass_character_round_trips() -> None:
    scores = AbilityScores(strength=15, dexterity=12, constitution=13, intelligence=13, wisdom=10, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    _levels(hero, "wizard")
    back = Character.from_dict(hero.to_dict())
    assert back.classes == hero.classes and back.level == 2 and back.class_level("wizard") == 1


def test_xp_for_a_multiclass_level_is_by_total_level() -> None:
    scores = AbilityScores(strength=15, dexterity=12, constitution=13, intelligence=13, wisdom=10, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    with pytest.raises(RulesError, match="needs 300 XP"):
        level_up(hero, class_name="wizard")


def test_a_multiclass_caster_casts_with_the_class_whose_list_has_the_spell() -> None:
    from game.errors import NoSpellSlot, UnknownSpell
    from game.spells import cast_spell

    scores = AbilityScores(strength=15, dexterity=12, constitution=13, intelligence=13, wisdom=10, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    _levels(hero, "fighter", "wizard", "wizard", "wizard")
    hero.spells_known = ["magic missile", "scorching ray"]
    hero.spells_prepared = ["magic missile", "scorching ray"]
    missile = {"name": "Magic Missile", "level": 1, "classes": ["sorcerer", "wizard"]}
    done = cast_spell(hero, missile)
    assert done.slot_level == 1 and hero.spell_slots.current[1] == 3
    ray = {"name": "Scorching Ray", "level": 2, "classes": ["sorcerer", "wizard"]}
    assert cast_spell(hero, ray).slot_level == 2
    fireball = {"name": "Fireball", "level": 3, "classes": ["sorcerer", "wizard"]}
    with pytest.raises(NoSpellSlot, match="level-3 Wizard"):  # wizard 3 casts up to 2nd-level spells
        cast_spell(hero, fireball, check_known=False)
    with pytest.raises(UnknownSpell, match="not a Wizard spell"):
        cast_spell(hero, {"name": "Cure Wounds", "level": 1, "classes": ["cleric"]}, check_known=False)


def test_short_rest_spends_a_multiclass_pool_largest_die_first() -> None:
    from game.multiclass import hit_dice_to_spend
    from game.rests import short_rest

    classes = [ClassLevel(name="Fighter", level=2), ClassLevel(name="Wizard", level=3)]
    assert hit_dice_to_spend(classes, 5, 3) == [10, 10, 6]
    assert hit_dice_to_spend(classes, 3, 5) == [6, 6, 6]
    assert hit_dice_to_spend(classes, 0, 1) == []
    scores = AbilityScores(strength=15, dexterity=12, constitution=13, intelligence=13, wisdom=10, charisma=8)
    hero = _make("Fighter", scores, ["athletics", "perception"])
    _levels(hero, "fighter", "wizard", "wizard", "wizard")
    hero.hp = 1
    rest = short_rest(hero, 3)
    assert [r["expression"] for r in rest.rolls] == ["1d10+2", "1d10+2", "1d6+2"]
    assert hero.hit_dice == 2
    assert [r["expression"] for r in short_rest(hero, 2).rolls] == ["1d6+2", "1d6+2"]

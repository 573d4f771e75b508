"""The smaller rules of issue 15: stable recovery, monster concentration, class speed bonuses, the subclass set
at its level on creation and level-up, repeated features kept."""

from __future__ import annotations

import random

import pytest

from game.abilities import AbilityScores
from game.character import Character, DeathSaves
from game.creation import add_features, character_speed, create_character, level_up
from game.dice import seeded
from game.effects import Creature, GameState
from game.errors import RulesError
from game.inventory import make_item
from game.recovery import recover_stable, recover_stable_creature, stable_recovery_hours
from game.validation import apply_effects

SCORES = AbilityScores(strength=15, dexterity=14, constitution=13, intelligence=12, wisdom=13, charisma=10)


def _hero(class_name: str, skills: list[str], race: str = "Human", **kw: object) -> Character:
    return create_character("Hero", race, class_name, SCORES, skills, **kw)  # type: ignore[arg-type]


def _up_to(character: Character, level: int) -> Character:
    while character.level < level:
        level_up(character, milestone=True)
    return character


# --- a stable creature regains 1 hit point after 1d4 hours ----------------------------------------


def test_stable_character_regains_one_hit_point_after_the_rolled_hours() -> None:
    down = Character(name="Down", race="Human", class_name="Fighter", hp=0, max_hp=12, conditions=["unconscious"],
                     death_saves=DeathSaves(stable=True))  # fmt: skip
    with seeded(3):
        hours = stable_recovery_hours()
    assert 1 <= hours.total <= 4 and hours.expression == "1d4"
    assert recover_stable(down, hours.total - 0.5, hours.total) is None and down.hp == 0
    healed = recover_stable(down, hours.total, hours.total)
    assert healed is not None and healed.healed == 1
    assert down.hp == 1 and not down.has_condition("unconscious")
    dying = Character(name="Dying", race="Human", class_name="Fighter", hp=0, max_hp=12)
    assert recover_stable(dying, 10, 1) is None and dying.hp == 0  # not stable: death saves go on


def test_a_knocked_out_monster_wakes_with_one_hit_point() -> None:
    ogre = Creature(id="o", name="Ogre", hp=0, max_hp=59, conditions=("unconscious",))
    assert recover_stable_creature(ogre, 1, 2) == ogre
    awake = recover_stable_creature(ogre, 2, 2)
    assert awake.hp == 1 and awake.conditions == ()
    assert recover_stable_creature(ogre.model_copy(update={"dead": True}), 5, 1).hp == 0


# --- monsters concentrate --------------------------------------------------------------------------


def _mage_state(save: int = 0) -> GameState:
    mage = Creature(id="mage", name="Mage", hp=40, max_hp=40, concentration="Greater Invisibility",
                    constitution_save=save)  # fmt: skip
    return GameState(creatures={"mage": mage})


def test_a_concentrating_monster_saves_against_damage_and_can_lose_it() -> None:
    # DC 10 for 12 damage; +30 always keeps it, -30 always loses it.
    new, (out,) = apply_effects(_mage_state(30), [{"kind": "hp_change", "target": "mage", "amount": -12}],
                                rng=random.Random(1))  # fmt: skip
    assert out.accepted and out.changes["concentration_save_dc"] == 10
    assert new.creatures["mage"].concentration == "Greater Invisibility"
    new, (out,) = apply_effects(_mage_state(-30), [{"kind": "hp_change", "target": "mage", "amount": -30}],
                                rng=random.Random(1))  # fmt: skip
    assert out.changes["concentration_save_dc"] == 15  # half of 30
    assert out.changes["concentration_save"]["success"] is False
    assert new.creatures["mage"].concentration is None


def test_a_monster_dropped_to_zero_or_incapacitated_stops_concentrating() -> None:
    new, _ = apply_effects(_mage_state(30), [{"kind": "hp_change", "target": "mage", "amount": -40}],
                           rng=random.Random(1))  # fmt: skip
    assert new.creatures["mage"].dead and new.creatures["mage"].concentration is None
    new, (out,) = apply_effects(_mage_state(), [{"kind": "condition_set", "target": "mage", "condition": "stunned"}],
                                rng=random.Random(1))  # fmt: skip
    assert out.accepted and new.creatures["mage"].concentration is None
    new, _ = apply_effects(_mage_state(), [{"kind": "condition_set", "target": "mage", "condition": "prone"}],
                           rng=random.Random(1))  # fmt: skip
    assert new.creatures["mage"].concentration == "Greater Invisibility"


# --- speed: Fast Movement and Unarmored Movement -------------------------------------------------


def test_barbarian_fast_movement_from_5th_unless_in_heavy_armor() -> None:
    barbarian = _up_to(_hero("Barbarian", ["athletics", "survival"]), 4)
    assert barbarian.speed == 30
    level_up(barbarian, milestone=True)
    assert barbarian.speed == 40 == character_speed(barbarian)
    barbarian.inventory.add(make_item("Plate"))
    for item in [i for i in barbarian.inventory.equipped if i.kind == "armor"]:
        barbarian.inventory.unequip(item.name)
    barbarian.inventory.equip("Plate")
    assert character_speed(barbarian) == 30  # Str 16 meets plate's 15; heavy armor: no Fast Movement


@pytest.mark.parametrize(("level", "bonus"), [(1, 0), (2, 10), (5, 10), (6, 15), (10, 20), (14, 25), (18, 30)])
def test_monk_unarmored_movement_by_level(level: int, bonus: int) -> None:
    monk = _up_to(_hero("Monk", ["acrobatics", "stealth"], race="Human"), level)
    assert monk.speed == 30 + bonus


def test_monk_with_a_shield_loses_unarmored_movement() -> None:
    monk = _up_to(_hero("Monk", ["acrobatics", "stealth"]), 2)
    monk.inventory.add(make_item("Shield"))
    monk.inventory.equip("Shield")
    assert character_speed(monk) == 30


# --- the subclass is set at its level -------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "skills", "level", "subclass"),
    [
        ("Barbarian", ["athletics", "survival"], 3, "Path of the Berserker"),
        ("Bard", ["history", "arcana", "stealth"], 3, "College of Lore"),
        ("Cleric", ["history", "medicine"], 1, "Life Domain"),
        ("Druid", ["arcana", "nature"], 2, "Circle of the Land"),
        ("Fighter", ["athletics", "perception"], 3, "Champion"),
        ("Monk", ["acrobatics", "stealth"], 3, "Way of the Open Hand"),
        ("Paladin", ["athletics", "insight"], 3, "Oath of Devotion"),
        ("Ranger", ["athletics", "stealth", "survival"], 3, "Hunter"),
        ("Rogue", ["acrobatics", "stealth", "deception", "insight"], 3, "Thief"),
        ("Sorcerer", ["arcana", "insight"], 1, "Draconic Bloodline"),
        ("Warlock", ["arcana", "deception"], 1, "The Fiend"),
        ("Wizard", ["arcana", "history"], 2, "School of Evocation"),
    ],
)
def test_subclass_is_set_at_its_level(class_name: str, skills: list[str], level: int, subclass: str) -> None:
    hero = _hero(class_name, skills)
    if level > 1:
        _up_to(hero, level - 1)
        assert hero.subclass is None
        done = level_up(hero, milestone=True)
        assert done.subclass == subclass
    assert hero.subclass == subclass and hero.classes[0].subclass == subclass


def test_a_subclass_the_srd_does_not_have_is_refused() -> None:
    with pytest.raises(RulesError, match="the SRD offers Life Domain"):
        _hero("Cleric", ["history", "medicine"], subclass="Tempest Domain")
    fighter = _up_to(_hero("Fighter", ["athletics", "perception"]), 2)
    with pytest.raises(RulesError, match="Champion"):
        level_up(fighter, subclass="Battle Master", milestone=True)
    assert fighter.level == 2 and fighter.subclass is None
    assert level_up(fighter, subclass="champion", milestone=True).subclass == "Champion"


def test_champion_features_work_without_setting_the_subclass_by_hand() -> None:
    from game.attacks import character_attack_profile

    fighter = _up_to(_hero("Fighter", ["athletics", "perception"]), 3)
    assert character_attack_profile(fighter, "Longsword").critical_on == 19


# --- repeated features ---------------------------------------------------------------------------


def test_repeated_feature_grants_are_kept() -> None:
    rogue = _up_to(_hero("Rogue", ["acrobatics", "stealth", "deception", "insight"]), 8)
    assert "Expertise" in rogue.features and "Expertise (2)" in rogue.features
    assert "Ability Score Improvement (2)" in rogue.features  # rogue 4 and 8
    sorcerer = _up_to(_hero("Sorcerer", ["arcana", "insight"]), 17)
    assert {"Metamagic", "Metamagic (2)", "Metamagic (3)"} <= set(sorcerer.features)
    bard = _up_to(_hero("Bard", ["history", "arcana", "stealth"]), 18)
    assert {"Magical Secrets", "Magical Secrets (2)", "Magical Secrets (3)"} <= set(bard.features)
    assert add_features(["A", "A (2)"], ["A", "B"]) == ["A", "A (2)", "A (3)", "B"]

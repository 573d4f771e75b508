"""Reading a spell's numbers from its SRD 5.1 entry (records copied from `lorekeeper rules export spells`)."""

from __future__ import annotations

from typing import Any

import pytest

from game.errors import RulesError
from game.spell_effects import add_dice, damage_dice, dart_count, healing_dice, spell_effect, split_darts

# fmt: off
SRD_SPELLS: dict[str, dict[str, Any]] = {s["name"]: s for s in [
    {'name': 'Fire Bolt', 'level': 0, 'concentration': False, 'description': "You hurl a mote of fire at a creature or object within range. Make a ranged spell attack against the target. On a hit, the target takes 1d10 fire damage. A flammable object hit by this spell ignites if it isn't being worn or carried.\nThis spell's damage increases by 1d10 when you reach 5th level (2d10), 11th level (3d10), and 17th level (4d10).", 'higher_levels': None, 'classes': ['sorcerer', 'wizard']},
    {'name': 'Magic Missile', 'level': 1, 'concentration': False, 'description': 'You create three glowing darts of magical force. Each dart hits a creature of your choice that you can see within range. A dart deals 1d4 + 1 force damage to its target. The darts all strike simultaneously, and you can direct them to hit one creature or several.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the spell creates one more dart for each slot level above 1st.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Fireball', 'level': 3, 'concentration': False, 'description': "A bright streak flashes from your pointing finger to a point you choose within range and then blossoms with a low roar into an explosion of flame. Each creature in a 20-foot-radius sphere centered on that point must make a Dexterity saving throw. A target takes 8d6 fire damage on a failed save, or half as much damage on a successful one.\nThe fire spreads around corners. It ignites flammable objects in the area that aren't being worn or carried.", 'higher_levels': 'When you cast this spell using a spell slot of 4th level or higher, the damage increases by 1d6 for each slot level above 3rd.', 'classes': ['sorcerer', 'wizard']},
    {'name': 'Sacred Flame', 'level': 0, 'concentration': False, 'description': "Flame-like radiance descends on a creature that you can see within range. The target must succeed on a Dexterity saving throw or take 1d8 radiant damage. The target gains no benefit from cover for this saving throw.\nThe spell's damage increases by 1d8 when you reach 5th level (2d8), 11th level (3d8), and 17th level (4d8).", 'higher_levels': None, 'classes': ['cleric']},
    {'name': 'Cure Wounds', 'level': 1, 'concentration': False, 'description': 'A creature you touch regains a number of hit points equal to 1d8 + your spellcasting ability modifier. This spell has no effect on undead or constructs.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the healing increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'cleric', 'druid', 'paladin', 'ranger']},
    {'name': 'Healing Word', 'level': 1, 'concentration': False, 'description': 'A creature of your choice that you can see within range regains hit points equal to 1d4 + your spellcasting ability modifier. This spell has no effect on undead or constructs.', 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the healing increases by 1d4 for each slot level above 1st.', 'classes': ['bard', 'cleric', 'druid']},
    {'name': 'Haste', 'level': 3, 'concentration': True, 'description': "Choose a willing creature that you can see within range. Until the spell ends, the target's speed is doubled, it gains a +2 bonus to AC, it has advantage on Dexterity saving throws, and it gains an additional action on each of its turns. That action can be used only to take the Attack (one weapon attack only), Dash, Disengage, Hide, or Use an Object action.\nWhen the spell ends, the target can't move or take actions until after its next turn, as a wave of lethargy sweeps over it.", 'higher_levels': None, 'classes': ['sorcerer', 'wizard']},
    {'name': 'Thunderwave', 'level': 1, 'concentration': False, 'description': "A wave of thunderous force sweeps out from you. Each creature in a 15-foot cube originating from you must make a Constitution saving throw. On a failed save, a creature takes 2d8 thunder damage and is pushed 10 feet away from you. On a successful save, the creature takes half as much damage and isn't pushed.\nIn addition, unsecured objects that are completely within the area of effect are automatically pushed 10 feet away from you by the spell's effect, and the spell emits a thunderous boom audible out to 300 feet.", 'higher_levels': 'When you cast this spell using a spell slot of 2nd level or higher, the damage increases by 1d8 for each slot level above 1st.', 'classes': ['bard', 'druid', 'sorcerer', 'wizard']},
]}
# fmt: on


def effect(name: str):  # type: ignore[no-untyped-def]
    return spell_effect(SRD_SPELLS[name])


def test_fireball_is_a_dexterity_save_for_half_of_8d6_fire_growing_1d6_a_level() -> None:
    fireball = effect("Fireball")
    assert (fireball.kind, fireball.save_ability, fireball.half_on_save) == ("save", "dexterity", True)
    assert (fireball.damage, fireball.damage_type, fireball.per_level, fireball.many) == ("8d6", "fire", "1d6", True)
    assert [damage_dice(fireball, slot, 5) for slot in (3, 4, 5, 9)] == ["8d6", "9d6", "10d6", "14d6"]


def test_fire_bolt_is_a_ranged_spell_attack_whose_dice_grow_at_5_11_17() -> None:
    bolt = effect("Fire Bolt")
    assert (bolt.kind, bolt.attack, bolt.damage, bolt.damage_type, bolt.many) == ("attack", "ranged", "1d10", "fire", False)
    assert [damage_dice(bolt, None, lvl) for lvl in (1, 4, 5, 10, 11, 17, 20)] == [
        "1d10", "1d10", "2d10", "2d10", "3d10", "4d10", "4d10"]


def test_sacred_flame_is_a_dexterity_save_with_no_damage_on_a_success() -> None:
    flame = effect("Sacred Flame")
    assert (flame.kind, flame.save_ability, flame.half_on_save, flame.damage_type) == (
        "save", "dexterity", False, "radiant")
    assert damage_dice(flame, None, 5) == "2d8"


def test_magic_missile_has_three_darts_and_one_more_per_slot_level() -> None:
    missile = effect("Magic Missile")
    assert (missile.kind, missile.damage, missile.damage_type) == ("auto", "1d4+1", "force")
    assert [dart_count(missile, slot) for slot in (1, 2, 3, 9)] == [3, 4, 5, 11]
    assert damage_dice(missile, 3, 5) == "1d4+1"  # per dart, whatever the slot


def test_cure_wounds_and_healing_word_add_the_modifier_and_a_die_per_level() -> None:
    cure, word = effect("Cure Wounds"), effect("Healing Word")
    assert (cure.kind, cure.heal, cure.add_modifier, cure.per_level) == ("heal", "1d8", True, "1d8")
    assert [healing_dice(cure, slot, 3) for slot in (1, 2, 3)] == ["1d8+3", "2d8+3", "3d8+3"]
    assert [healing_dice(word, slot, 2) for slot in (1, 2)] == ["1d4+2", "2d4+2"]
    assert healing_dice(word, 1, 0) == "1d4" and healing_dice(word, 1, -1) == "1d4-1"


def test_thunderwave_reads_half_damage_written_another_way() -> None:
    wave = effect("Thunderwave")
    assert (wave.kind, wave.save_ability, wave.half_on_save, wave.damage) == ("save", "constitution", True, "2d8")


def test_a_spell_without_numbers_is_left_to_the_dm() -> None:
    haste = effect("Haste")
    assert haste.kind == "none" and not haste.resolved and damage_dice(haste, 3, 5) is None


def test_a_lower_slot_than_the_spell_is_refused() -> None:
    with pytest.raises(RulesError):
        damage_dice(effect("Fireball"), 2, 5)


def test_a_record_without_name_or_level_is_refused() -> None:
    with pytest.raises(RulesError):
        spell_effect({"name": "Nothing"})


@pytest.mark.parametrize(("parts", "total"), [
    (("8d6", "1d6"), "9d6"), (("1d4+1", "1d4+1"), "2d4+2"), (("2d8", "1d6"), "2d8+1d6"), (("5", ""), "5"),
    (("1d8+3", "1d8", "1d8"), "3d8+3"),
])  # fmt: skip
def test_add_dice_merges_like_dice(parts: tuple[str, ...], total: str) -> None:
    assert add_dice(*parts) == total


def test_add_dice_refuses_what_is_not_dice() -> None:
    with pytest.raises(RulesError):
        add_dice("8d6", "fire")


def test_darts_are_shared_round_robin_and_a_name_given_twice_gets_two_shares() -> None:
    assert split_darts(3, ["a", "b", "c"]) == {"a": 1, "b": 1, "c": 1}
    assert split_darts(4, ["a", "b"]) == {"a": 2, "b": 2}
    assert split_darts(3, ["a", "a", "b"]) == {"a": 2, "b": 1}
    assert split_darts(3, ["a"]) == {"a": 3}
    with pytest.raises(RulesError):
        split_darts(3, ["a", "b", "c", "d"])
    with pytest.raises(RulesError):
        split_darts(3, [])

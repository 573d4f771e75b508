"""Short and long rests (SRD "Resting")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.character import Character
from game.creation import level_up
from game.dice import seeded
from game.errors import RestError
from game.rests import long_rest, short_rest


def _level(character: Character, level: int) -> Character:
    while character.level < level:
        level_up(character, milestone=True)
    return character


def test_short_rest_spends_hit_dice_and_heals_roll_plus_con(fighter: Character) -> None:
    _level(fighter, 5)
    fighter.take_damage(30)
    hp_before = fighter.hp
    with seeded(4):
        rest = short_rest(fighter, 2)
    assert rest.hit_dice_spent == 2 and fighter.hit_dice == 3
    assert [r["expression"] for r in rest.rolls] == ["1d10+2", "1d10+2"]
    expected = sum(r["total"] for r in rest.rolls)
    assert rest.healed == expected and fighter.hp == hp_before + expected
    assert all(3 <= r["total"] <= 12 for r in rest.rolls)


def test_short_rest_healing_stops_at_max(fighter: Character) -> None:
    _level(fighter, 5)
    fighter.take_damage(1)
    rest = short_rest(fighter, 5)
    assert rest.healed == 1 and fighter.hp == fighter.max_hp and fighter.hit_dice == 0


def test_cannot_spend_more_hit_dice_than_are_left(fighter: Character) -> None:
    with pytest.raises(RestError, match="1 Hit Die left, not 2"):
        short_rest(fighter, 2)
    with pytest.raises(RestError):
        short_rest(fighter, -1)
    assert fighter.hit_dice == 1


def test_the_dead_do_not_rest(fighter: Character) -> None:
    fighter.die()
    with pytest.raises(RestError):
        short_rest(fighter)
    with pytest.raises(RestError):
        long_rest(fighter)


def test_long_rest_restores_everything(wizard: Character) -> None:
    _level(wizard, 5)
    wizard.spell_slots.spend(3)
    wizard.spell_slots.spend(1)
    wizard.take_damage(20)
    wizard.grant_temp_hp(5)
    wizard.hit_dice = 1
    wizard.set_exhaustion(2)
    rest = long_rest(wizard)
    assert wizard.hp == wizard.max_hp and wizard.temp_hp == 0
    assert wizard.spell_slots.current == wizard.spell_slots.maximum == {1: 4, 2: 3, 3: 2}
    assert rest.slots_restored == 2
    assert rest.hit_dice_regained == 2 and wizard.hit_dice == 3  # half of 5, rounded down
    assert wizard.exhaustion == 1


def test_long_rest_regains_at_least_one_hit_die(wizard: Character) -> None:
    wizard.hit_dice = 0
    assert long_rest(wizard).hit_dice_regained == 1 and wizard.hit_dice == 1


def test_long_rest_never_exceeds_total_hit_dice(fighter: Character) -> None:
    _level(fighter, 10)
    fighter.hit_dice = 8
    assert long_rest(fighter).hit_dice_regained == 2 and fighter.hit_dice == 10


def test_long_rest_needs_one_hit_point(wizard: Character) -> None:
    wizard.take_damage(wizard.max_hp)
    with pytest.raises(RestError, match="at least 1 hit point"):
        long_rest(wizard)
    assert wizard.hp == 0


@given(st.integers(1, 20), st.integers(0, 20))
@settings(max_examples=60, deadline=None)
def test_property_long_rest_hit_dice(level: int, left: int) -> None:
    from game.creation import create_character, standard_array

    character = create_character("R", "human", "cleric", standard_array(
        {"str": 8, "dex": 10, "con": 13, "int": 12, "wis": 15, "cha": 14}), ["insight", "religion"])
    _level(character, level)
    character.hit_dice = min(left, level)
    before = character.hit_dice
    rest = long_rest(character)
    assert character.hit_dice == min(level, before + max(1, level // 2))
    assert rest.hit_dice_regained == character.hit_dice - before


def test_long_rest_at_exhaustion_five_stops_at_the_halved_maximum() -> None:
    # SRD p. 358: exhaustion 4 halves the hit point maximum; a long rest takes 5 → 4, so 40 → 20 is the cap.
    tess = Character(name="Tess", race="Human", class_name="Fighter", level=5, hp=10, max_hp=40,
                     hit_dice=5, exhaustion=5)  # fmt: skip
    rest = long_rest(tess)
    assert tess.exhaustion == 4
    assert tess.hp == 20 and rest.hp == 20 and rest.healed == 10


def test_long_rest_from_exhaustion_four_restores_the_full_maximum() -> None:
    # Exhaustion drops to 3 at the end of the rest, so the full 40 comes back.
    tess = Character(name="Tess", race="Human", class_name="Fighter", level=5, hp=10, max_hp=40,
                     hit_dice=5, exhaustion=4)  # fmt: skip
    long_rest(tess)
    assert tess.exhaustion == 3 and tess.hp == 40


def test_long_rest_without_food_and_drink_keeps_exhaustion() -> None:
    # SRD p. 358: the long rest removes a level "provided that the creature has also ingested some food and drink".
    tess = Character(name="Tess", race="Human", class_name="Fighter", level=5, hp=10, max_hp=40,
                     hit_dice=5, exhaustion=2)  # fmt: skip
    rest = long_rest(tess, food_and_drink=False)
    assert tess.exhaustion == 2 and rest.exhaustion == 2 and tess.hp == 40


def test_short_rest_healing_stops_at_the_halved_maximum_at_exhaustion_four() -> None:
    tess = Character(name="Tess", race="Human", class_name="Fighter", level=5, hp=18, max_hp=40,
                     hit_dice=5, exhaustion=4)  # fmt: skip
    with seeded(1):
        rest = short_rest(tess, 5)
    assert tess.hp == 20 and rest.healed == 2

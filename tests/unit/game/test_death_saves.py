"""Death saving throws and stabilising (SRD 5.1 p. 98)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.character import Character
from game.hit_points import HitPoints
from game.death_saves import (
    DeathSaves,
    DeathSaveStatus,
    attempt_stabilize,
    death_save_status,
    make_death_save,
    record_death_save,
    roll_death_save,
)
from game.errors import RulesError


def test_ten_or_higher_succeeds_nine_fails() -> None:
    assert record_death_save(DeathSaves(), 10).saves == DeathSaves(successes=1)
    assert record_death_save(DeathSaves(), 9).saves == DeathSaves(failures=1)


def test_third_success_makes_stable_and_resets_counts() -> None:
    result = record_death_save(DeathSaves(successes=2, failures=2), 15)
    assert result.status is DeathSaveStatus.STABLE
    assert result.saves == DeathSaves(stable=True)


def test_third_failure_is_death() -> None:
    result = record_death_save(DeathSaves(successes=2, failures=2), 2)
    assert result.status is DeathSaveStatus.DEAD
    assert result.saves.failures == 3


def test_natural_one_counts_as_two_failures() -> None:
    assert record_death_save(DeathSaves(), 1).saves.failures == 2
    assert record_death_save(DeathSaves(failures=2), 1).saves.failures == 3  # capped at 3: dead


def test_natural_twenty_regains_one_hit_point() -> None:
    result = record_death_save(DeathSaves(successes=1, failures=2), 20)
    assert result.status is DeathSaveStatus.REVIVED
    assert result.hp_regained == 1
    assert result.saves == DeathSaves()


def test_stable_and_dead_creatures_make_no_death_saves() -> None:
    with pytest.raises(RulesError):
        record_death_save(DeathSaves(stable=True), 12)
    with pytest.raises(RulesError):
        record_death_save(DeathSaves(failures=3), 12)
    with pytest.raises(RulesError):
        record_death_save(DeathSaves(), 21)


def test_damage_at_zero() -> None:
    """By the one hit-point model (game.hit_points): one failure, two on a crit; a stable creature is dying again."""
    down = HitPoints(current=0, maximum=12, death_saves=DeathSaves(successes=1))
    assert down.take_damage(3)[0].death_saves == DeathSaves(successes=1, failures=1)
    assert HitPoints(current=0, maximum=12, death_saves=DeathSaves(failures=1)).take_damage(3, critical=True)[0].dead
    stable = HitPoints(current=0, maximum=12, death_saves=DeathSaves(stable=True))
    assert stable.take_damage(3)[0].death_saves == DeathSaves(failures=1, stable=False)
    assert HitPoints(current=0, maximum=12).take_damage(12)[0].dead  # massive damage at 0


def test_first_aid_is_a_dc_ten_medicine_check() -> None:
    assert attempt_stabilize(DeathSaves(failures=2), 10) == DeathSaves(stable=True)
    assert attempt_stabilize(DeathSaves(failures=2), 9) == DeathSaves(failures=2)


def test_roll_death_save_is_reproducible_with_a_seed() -> None:
    a = roll_death_save(DeathSaves(), random.Random(42))
    b = roll_death_save(DeathSaves(), random.Random(42))
    assert a == b
    assert a.natural == random.Random(42).randint(1, 20)


@given(st.lists(st.integers(1, 20), min_size=1, max_size=10))
def test_death_save_sequences_end_in_one_of_three_states(rolls: list[int]) -> None:
    saves = DeathSaves()
    for natural in rolls:
        result = record_death_save(saves, natural)
        if result.status is not DeathSaveStatus.DYING:
            # stable, dead or revived: the sequence is over
            assert result.status in (DeathSaveStatus.STABLE, DeathSaveStatus.DEAD, DeathSaveStatus.REVIVED)
            if result.status is DeathSaveStatus.DEAD:
                assert result.saves.failures == 3
            return
        saves = result.saves
        assert death_save_status(saves) is DeathSaveStatus.DYING
        assert saves.successes < 3 and saves.failures < 3
    # still dying: never more than 2 of either
    assert saves.successes <= 2 and saves.failures <= 2


@given(st.integers(0, 2), st.integers(0, 2), st.integers(1, 20))
def test_one_roll_changes_exactly_one_tally_by_the_rule(successes: int, failures: int, natural: int) -> None:
    before = DeathSaves(successes=successes, failures=failures)
    result = record_death_save(before, natural)
    if natural == 20:
        assert result.hp_regained == 1
    elif natural >= 10:
        assert result.saves.successes == successes + 1 or result.saves.stable
    else:
        expected = min(3, failures + (2 if natural == 1 else 1))
        assert result.saves.failures == expected
        assert result.saves.successes == successes


def _dying() -> Character:
    c = Character(name="Aria", race="Elf", class_name="Wizard", level=3, hp=0, max_hp=17, conditions=["unconscious"])
    return c


def test_make_death_save_updates_the_character() -> None:
    c = _dying()
    make_death_save(c, natural=20)
    assert (c.hp, c.conditions, c.death_saves) == (1, [], DeathSaves())
    c = _dying()
    make_death_save(c, natural=1)
    make_death_save(c, natural=5)
    assert c.dead is True and c.death_saves.failures == 3
    c = _dying()
    for natural in (10, 11, 12):
        make_death_save(c, natural=natural)
    assert c.death_saves.stable and c.hp == 0 and c.conditions == ["unconscious"] and not c.dead
    with pytest.raises(RulesError):
        make_death_save(c, natural=15)  # stable: no more saves
    with pytest.raises(RulesError):
        make_death_save(Character(name="B", race="Human", class_name="Fighter", hp=5, max_hp=12), natural=15)


def test_exhaustion_three_gives_disadvantage_on_death_saves() -> None:
    # SRD p. 358: exhaustion 3 is "Disadvantage on attack rolls and saving throws"; a death saving throw
    # is a saving throw (SRD p. 98). Two d20s, the lower counts.
    c = _dying()
    c.set_exhaustion(3)
    rng_seed = 7
    pair = random.Random(rng_seed)
    first, second = pair.randint(1, 20), pair.randint(1, 20)
    result = make_death_save(c, random.Random(rng_seed))
    assert result.natural == min(first, second)
    plain = roll_death_save(DeathSaves(), random.Random(rng_seed))
    assert plain.natural == first

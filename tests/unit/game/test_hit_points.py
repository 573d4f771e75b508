"""The one hit-point model (game/hit_points.py), with the SRD's own examples (p. 96–98)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.errors import IllegalEffect
from game.hit_points import DeathSaves, HitPoints


def test_massive_damage_kills_outright_srd_example() -> None:
    # "a cleric with a hit point maximum of 12 currently has 6 hit points. If she takes 18 damage ... she dies."
    hp, change = HitPoints(current=6, maximum=12).take_damage(18)
    assert hp.dead and change.instant_death and change.died
    survived, change = HitPoints(current=6, maximum=12).take_damage(17)
    assert not survived.dead and survived.current == 0 and change.dropped_to_zero and survived.dying


def test_healing_stops_at_the_maximum_srd_example() -> None:
    hp, change = HitPoints(current=14, maximum=20).heal(8)
    assert hp.current == 20 and change.regained == 6 and change.wasted == 2


def test_temporary_hit_points_absorb_first_and_do_not_stack() -> None:
    hp = HitPoints(current=10, maximum=10).grant_temporary(5).grant_temporary(3)
    assert hp.temporary == 5
    hp, change = hp.take_damage(7)
    assert (hp.temporary, hp.current, change.temp_after) == (0, 8, 0)


def test_damage_at_zero_is_a_failed_death_save_two_on_a_crit_and_three_kill() -> None:
    down = HitPoints(current=0, maximum=20, death_saves=DeathSaves(successes=1))
    once, change = down.take_damage(3)
    assert once.death_saves.failures == 1 and change.death_save_failures == 1 and not once.dead
    twice, _ = once.take_damage(3, critical=True)
    assert twice.death_saves.failures == 3 and twice.dead


def test_a_monster_dies_at_zero_unless_knocked_out() -> None:
    goblin = HitPoints(current=7, maximum=7, dies_at_zero=True)
    dead, change = goblin.take_damage(9)
    assert dead.dead and change.died and not change.instant_death
    ko, change = goblin.take_damage(9, knock_out=True)
    assert not ko.dead and ko.death_saves.stable and change.knocked_out


def test_healing_from_zero_ends_dying_and_the_dead_stay_dead() -> None:
    down = HitPoints(current=0, maximum=10, death_saves=DeathSaves(successes=2, failures=2))
    up, change = down.heal(1)
    assert up.current == 1 and change.revived and up.death_saves == DeathSaves()
    with pytest.raises(IllegalEffect):
        down.killed().heal(5)
    with pytest.raises(IllegalEffect):
        down.killed().take_damage(5)


def test_exhaustion_ceiling_caps_healing() -> None:
    hp, change = HitPoints(current=3, maximum=20).heal(15, ceiling=10)
    assert hp.current == 10 and change.wasted == 8


@given(st.integers(1, 200), st.integers(0, 200), st.integers(0, 50), st.integers(0, 300), st.booleans())
def test_damage_keeps_hit_points_in_range(maximum: int, current: int, temp: int, amount: int, monster: bool) -> None:
    hp = HitPoints(current=min(current, maximum), maximum=maximum, temporary=temp, dies_at_zero=monster)
    after, change = hp.take_damage(amount)
    assert 0 <= after.current <= maximum and after.temporary <= temp
    assert change.before - change.after + (change.temp_before - change.temp_after) <= amount
    assert after.dead == change.died

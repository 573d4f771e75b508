"""Damage, resistances, temporary hit points, massive damage and healing (SRD 5.1 p. 96–99)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.damage import (
    DamageType,
    adjust_damage,
    apply_damage,
    apply_healing,
    concentration_save_dc,
    parse_damage_type,
)
from game.errors import RulesError


def test_thirteen_damage_types() -> None:
    assert len(DamageType) == 13
    assert parse_damage_type("Fire") is DamageType.FIRE
    with pytest.raises(RulesError):
        parse_damage_type("sonic")


def test_srd_example_reduction_then_resistance() -> None:
    # SRD: resistance to bludgeoning, 25 bludgeoning damage, an aura reducing all damage by 5 → 10.
    assert adjust_damage(25, "bludgeoning", resistances=["bludgeoning"], reduction=5) == 10


def test_resistance_halves_rounding_down_vulnerability_doubles_immunity_zeroes() -> None:
    assert adjust_damage(7, "fire", resistances=["fire"]) == 3
    assert adjust_damage(7, "fire", vulnerabilities=["fire"]) == 14
    assert adjust_damage(7, "fire", resistances=["fire"], vulnerabilities=["fire"]) == 6
    assert adjust_damage(7, "poison", immunities=["poison"], vulnerabilities=["poison"]) == 0
    assert adjust_damage(7, "cold", resistances=["fire"]) == 7
    # multiple instances of the same resistance count once
    assert adjust_damage(20, "fire", resistances=["fire", "fire"], resist_all=True) == 10


def test_temporary_hit_points_absorb_first() -> None:
    # SRD: 5 temporary hit points and 7 damage → lose the temporary ones, then 2 damage.
    out = apply_damage(hp=10, max_hp=10, temp_hp=5, amount=7)
    assert (out.temp_hp_absorbed, out.temp_hp_after, out.hp_after) == (5, 0, 8)


def test_srd_instant_death_example() -> None:
    # SRD: a cleric with max 12 HP at 6 HP takes 18 damage: 0 HP with 12 remaining = her maximum → dies.
    out = apply_damage(hp=6, max_hp=12, amount=18)
    assert out.hp_after == 0
    assert out.dropped_to_zero is True
    assert out.instant_death is True


def test_one_point_short_of_massive_damage_only_knocks_out() -> None:
    out = apply_damage(hp=6, max_hp=12, amount=17)
    assert out.dropped_to_zero is True
    assert out.instant_death is False


def test_damage_at_zero_is_a_death_save_failure_and_two_on_a_crit() -> None:
    assert apply_damage(hp=0, max_hp=12, amount=3).death_save_failures == 1
    assert apply_damage(hp=0, max_hp=12, amount=3, critical=True).death_save_failures == 2
    massive = apply_damage(hp=0, max_hp=12, amount=12)
    assert massive.instant_death is True
    # damage fully absorbed by temporary hit points costs no failure
    assert apply_damage(hp=0, max_hp=12, temp_hp=5, amount=3).death_save_failures == 0


def test_concentration_dc_is_ten_or_half_the_damage() -> None:
    assert concentration_save_dc(7) == 10
    assert concentration_save_dc(22) == 11
    assert concentration_save_dc(45) == 22
    assert apply_damage(hp=30, max_hp=30, amount=22, concentrating=True).concentration_dc == 11
    assert apply_damage(hp=30, max_hp=30, amount=22).concentration_dc is None
    assert apply_damage(hp=30, max_hp=30, amount=22, damage_type="fire", immunities=["fire"],
                        concentrating=True).concentration_dc is None  # fmt: skip


def test_srd_healing_example() -> None:
    # SRD: 8 hit points of healing on a ranger with 14 of 20 → regains 6.
    out = apply_healing(hp=14, max_hp=20, amount=8)
    assert (out.hp_after, out.regained, out.wasted, out.revived) == (20, 6, 2, False)


def test_healing_from_zero_revives_and_the_dead_cannot_be_healed() -> None:
    assert apply_healing(hp=0, max_hp=20, amount=3).revived is True
    with pytest.raises(RulesError):
        apply_healing(hp=0, max_hp=20, amount=3, dead=True)
    with pytest.raises(RulesError):
        apply_healing(hp=5, max_hp=20, amount=-3)


def test_invalid_state_is_refused() -> None:
    with pytest.raises(RulesError):
        apply_damage(hp=21, max_hp=20, amount=1)
    with pytest.raises(RulesError):
        apply_damage(hp=5, max_hp=20, amount=-1)


@st.composite
def hit_points(draw: st.DrawFn) -> tuple[int, int, int]:
    max_hp = draw(st.integers(1, 300))
    return draw(st.integers(0, max_hp)), max_hp, draw(st.integers(0, 50))


@given(hit_points(), st.integers(0, 1000), st.sampled_from([None, *DamageType]), st.booleans())
def test_hp_stays_within_zero_and_max_under_damage(hp: tuple[int, int, int], amount: int,
                                                   kind: DamageType | None, crit: bool) -> None:  # fmt: skip
    current, max_hp, temp = hp
    out = apply_damage(hp=current, max_hp=max_hp, temp_hp=temp, amount=amount, damage_type=kind,
                       resistances=["fire"], vulnerabilities=["cold"], critical=crit)  # fmt: skip
    assert 0 <= out.hp_after <= max_hp
    assert 0 <= out.temp_hp_after <= temp
    assert out.temp_hp_absorbed + (current - out.hp_after) <= out.damage_taken
    assert out.death_save_failures in (0, 1, 2)


@given(hit_points(), st.integers(0, 1000))
def test_hp_stays_within_zero_and_max_under_healing(hp: tuple[int, int, int], amount: int) -> None:
    current, max_hp, _ = hp
    out = apply_healing(hp=current, max_hp=max_hp, amount=amount)
    assert current <= out.hp_after <= max_hp
    assert out.regained + out.wasted == amount

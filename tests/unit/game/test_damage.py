"""Damage, resistances, temporary hit points, massive damage and healing (SRD 5.1 p. 96–99)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.damage import DamageType, adjust_damage, concentration_save_dc, parse_damage_type
from game.errors import IllegalEffect, RulesError
from game.hit_points import HitPoints


def apply_damage(*, hp: int, max_hp: int, amount: int, temp_hp: int = 0, critical: bool = False, **defenses):  # type: ignore[no-untyped-def]
    """Defenses, then the one hit-point model: the pipeline `validation` runs for every creature."""
    taken = adjust_damage(amount, defenses.pop("damage_type", None), **defenses)
    return HitPoints(current=hp, maximum=max_hp, temporary=temp_hp).take_damage(taken, critical=critical)[1]


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
    assert (out.temp_before - out.temp_after, out.temp_after, out.after) == (5, 0, 8)


def test_srd_instant_death_example() -> None:
    # SRD: a cleric with max 12 HP at 6 HP takes 18 damage: 0 HP with 12 remaining = her maximum → dies.
    out = apply_damage(hp=6, max_hp=12, amount=18)
    assert out.after == 0
    assert out.dropped_to_zero is True
    assert out.instant_death is True and out.died


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
    assert apply_damage(hp=30, max_hp=30, amount=22, damage_type="fire", immunities=["fire"]).damage == 0


def test_srd_healing_example() -> None:
    # SRD: 8 hit points of healing on a ranger with 14 of 20 → regains 6.
    _, out = HitPoints(current=14, maximum=20).heal(8)
    assert (out.after, out.regained, out.wasted, out.revived) == (20, 6, 2, False)


def test_healing_from_zero_revives_and_the_dead_cannot_be_healed() -> None:
    assert HitPoints(current=0, maximum=20).heal(3)[1].revived is True
    with pytest.raises(IllegalEffect):
        HitPoints(current=0, maximum=20, dead=True).heal(3)
    with pytest.raises(IllegalEffect):
        HitPoints(current=5, maximum=20).heal(-3)


def test_invalid_state_is_refused() -> None:
    with pytest.raises(ValueError):
        HitPoints(current=21, maximum=20)
    with pytest.raises(IllegalEffect):
        HitPoints(current=5, maximum=20).take_damage(-1)


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
    assert 0 <= out.after <= max_hp
    assert 0 <= out.temp_after <= temp
    assert (out.temp_before - out.temp_after) + (current - out.after) <= out.damage
    assert out.death_save_failures in (0, 1, 2)


@given(hit_points(), st.integers(0, 1000))
def test_hp_stays_within_zero_and_max_under_healing(hp: tuple[int, int, int], amount: int) -> None:
    current, max_hp, _ = hp
    _, out = HitPoints(current=current, maximum=max_hp).heal(amount)
    assert current <= out.after <= max_hp
    assert out.regained + out.wasted == amount

"""The SRD 5.1 conditions (Appendix PH-A) and what they do to rolls, actions and speed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.conditions import (
    CONDITION_RULES,
    EXHAUSTION_EFFECTS,
    Advantage,
    Condition,
    attack_roll_mode,
    can_act,
    can_react,
    can_speak,
    check_roll_modifier,
    effective_conditions,
    hit_is_critical,
    hit_point_maximum,
    is_dead_from_exhaustion,
    parse_condition,
    resists_all_damage,
    save_roll_modifier,
    speed,
)
from game.dice import combine_advantage
from game.errors import RulesError, UnknownCondition

ADV, DIS, NONE = Advantage.ADVANTAGE, Advantage.DISADVANTAGE, Advantage.NONE


def test_all_fifteen_srd_conditions_have_rules() -> None:
    names = {c.value for c in Condition}
    assert names == {
        "blinded", "charmed", "deafened", "exhaustion", "frightened", "grappled", "incapacitated", "invisible",
        "paralyzed", "petrified", "poisoned", "prone", "restrained", "stunned", "unconscious",
    }  # fmt: skip
    assert set(CONDITION_RULES) == set(Condition)
    assert EXHAUSTION_EFFECTS[4] == "Hit point maximum halved"
    assert EXHAUSTION_EFFECTS[6] == "Death"


def test_parse_condition_accepts_any_case_and_refuses_unknown() -> None:
    assert parse_condition(" Prone ") is Condition.PRONE
    assert parse_condition("exhausted") is Condition.EXHAUSTION
    with pytest.raises(UnknownCondition) as info:
        parse_condition("sleepy")
    assert "sleepy" in info.value.user_message
    assert isinstance(info.value, RulesError)


@pytest.mark.parametrize("condition", ["incapacitated", "paralyzed", "petrified", "stunned", "unconscious"])
def test_incapacitating_conditions_stop_actions_and_reactions(condition: str) -> None:
    assert can_act([condition]) is False
    assert can_react([condition]) is False


@pytest.mark.parametrize("condition", ["blinded", "charmed", "deafened", "frightened", "grappled", "invisible",
                                       "poisoned", "prone", "restrained"])  # fmt: skip
def test_other_conditions_leave_actions(condition: str) -> None:
    assert can_act([condition]) is True


def test_unconscious_implies_incapacitated_and_prone() -> None:
    assert effective_conditions(["unconscious"]) == {Condition.UNCONSCIOUS, Condition.INCAPACITATED, Condition.PRONE}


def test_exhaustion_six_is_death_and_stops_actions() -> None:
    assert is_dead_from_exhaustion(6) is True
    assert is_dead_from_exhaustion(5) is False
    assert can_act([], exhaustion=6) is False
    with pytest.raises(RulesError):
        is_dead_from_exhaustion(7)


def test_speech() -> None:
    assert can_speak(["paralyzed"]) is False
    assert can_speak(["unconscious"]) is False
    assert can_speak(["stunned"]) is True  # "can speak only falteringly"


@pytest.mark.parametrize(
    ("conditions", "exhaustion", "expected"),
    [
        ([], 0, 30),
        (["grappled"], 0, 0),
        (["restrained"], 0, 0),
        (["paralyzed"], 0, 0),
        (["prone"], 0, 30),
        ([], 1, 30),
        ([], 2, 15),  # speed halved
        ([], 4, 15),
        ([], 5, 0),  # speed reduced to 0
    ],
)
def test_speed(conditions: list[str], exhaustion: int, expected: int) -> None:
    assert speed(30, conditions, exhaustion) == expected


def test_exhaustion_four_halves_hit_point_maximum() -> None:
    assert hit_point_maximum(27, 3) == 27
    assert hit_point_maximum(27, 4) == 13


def test_combine_advantage_cancels_however_many_sources() -> None:
    assert combine_advantage(ADV, ADV, DIS) is NONE
    assert combine_advantage(ADV, ADV) is ADV
    assert combine_advantage(DIS, NONE) is DIS
    assert combine_advantage() is NONE


def test_cancelling_advantage_is_written_once() -> None:
    import game.conditions
    import game.dice

    assert not hasattr(Advantage, "combine")
    assert not hasattr(game.conditions, "combine_advantage") or game.conditions.combine_advantage is combine_advantage
    assert "combine_advantage" in game.dice.__all__


@pytest.mark.parametrize(
    ("attacker", "target", "within", "expected"),
    [
        (["blinded"], [], True, DIS),
        ([], ["blinded"], True, ADV),
        (["invisible"], [], True, ADV),
        ([], ["invisible"], True, DIS),
        (["poisoned"], [], True, DIS),
        (["frightened"], [], True, DIS),
        (["prone"], [], True, DIS),
        ([], ["prone"], True, ADV),
        ([], ["prone"], False, DIS),
        ([], ["restrained"], True, ADV),
        (["restrained"], [], True, DIS),
        ([], ["paralyzed"], True, ADV),
        ([], ["stunned"], True, ADV),
        ([], ["unconscious"], True, ADV),  # unconscious is also prone: both give advantage within 5 ft.
        ([], ["unconscious"], False, NONE),  # … but prone at range gives disadvantage: they cancel
        (["poisoned"], ["paralyzed"], True, NONE),  # one of each cancels
        (["invisible"], ["invisible"], True, NONE),
        (["charmed", "deafened", "grappled"], ["charmed"], True, NONE),
    ],
)
def test_attack_roll_mode(attacker: list[str], target: list[str], within: bool, expected: Advantage) -> None:
    assert attack_roll_mode(attacker, target, within_5_feet=within) is expected


def test_exhaustion_three_gives_disadvantage_on_attacks_and_saves() -> None:
    assert attack_roll_mode([], [], attacker_exhaustion=2) is NONE
    assert attack_roll_mode([], [], attacker_exhaustion=3) is DIS
    assert save_roll_modifier([], "wisdom", exhaustion=3).mode is DIS


def test_circumstances_combine_with_conditions() -> None:
    assert attack_roll_mode(["poisoned"], [], circumstances=[ADV]) is NONE
    assert attack_roll_mode([], [], circumstances=[DIS]) is DIS


@pytest.mark.parametrize("condition", ["paralyzed", "petrified", "stunned", "unconscious"])
def test_auto_fail_strength_and_dexterity_saves(condition: str) -> None:
    assert save_roll_modifier([condition], "strength").auto_fail is True
    assert save_roll_modifier([condition], "dexterity").auto_fail is True
    assert save_roll_modifier([condition], "constitution").auto_fail is False


def test_restrained_has_disadvantage_on_dexterity_saves_only() -> None:
    assert save_roll_modifier(["restrained"], "dexterity").mode is DIS
    assert save_roll_modifier(["restrained"], "strength").mode is NONE


def test_ability_checks() -> None:
    assert check_roll_modifier(["blinded"], requires_sight=True).auto_fail is True
    assert check_roll_modifier(["blinded"]).auto_fail is False
    assert check_roll_modifier(["deafened"], requires_hearing=True).auto_fail is True
    assert check_roll_modifier(["poisoned"]).mode is DIS
    assert check_roll_modifier(["frightened"]).mode is DIS
    assert check_roll_modifier([], exhaustion=1).mode is DIS
    assert check_roll_modifier([], exhaustion=0).mode is NONE


def test_hits_within_five_feet_on_paralyzed_or_unconscious_are_critical() -> None:
    assert hit_is_critical(["paralyzed"], within_5_feet=True) is True
    assert hit_is_critical(["unconscious"], within_5_feet=True) is True
    assert hit_is_critical(["paralyzed"], within_5_feet=False) is False
    assert hit_is_critical(["stunned"], within_5_feet=True) is False


def test_petrified_resists_all_damage() -> None:
    assert resists_all_damage(["petrified"]) is True
    assert resists_all_damage(["paralyzed"]) is False


@given(st.lists(st.sampled_from(list(Condition)), max_size=6), st.integers(0, 6))
def test_speed_never_exceeds_base_and_incapacitated_never_acts(conditions: list[Condition], exhaustion: int) -> None:
    assert 0 <= speed(30, conditions, exhaustion) <= 30
    if Condition.INCAPACITATED in effective_conditions(conditions):
        assert not can_act(conditions, exhaustion)


def test_saving_throw_accepts_abbreviations() -> None:
    assert save_roll_modifier(["stunned"], "Dex").auto_fail is True
    with pytest.raises(RulesError):
        save_roll_modifier([], "luck")


def test_every_condition_heads_a_section_of_the_srd_appendix() -> None:
    """Appendix PH-A (pp. 358–359 of the shipped SRD PDF) defines exactly our conditions."""
    import re
    from pathlib import Path

    import pymupdf

    pdf = Path(__file__).resolve().parents[3] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
    with pymupdf.open(pdf) as doc:
        text = doc[357].get_text() + doc[358].get_text()
    headings = {line.strip().lower() for line in re.sub(r"[\t\r\xa0 ]+", " ", text).splitlines()}
    assert {c.value for c in Condition} <= headings
    assert "automatically fails strength and dexterity saving throws." in re.sub(r"\s+", " ", text.lower())


def test_petrified_is_immune_to_poison_damage_and_the_poisoned_condition() -> None:
    # SRD p. 359: "The creature is immune to poison and disease" (and resistant to all other damage).
    from game.conditions import condition_immunities, damage_immunities

    assert damage_immunities(["petrified"]) == frozenset({"poison"})
    assert condition_immunities(["petrified"]) == frozenset({Condition.POISONED})
    assert damage_immunities(["stunned", "prone"]) == frozenset()
    assert condition_immunities(["paralyzed"]) == frozenset()

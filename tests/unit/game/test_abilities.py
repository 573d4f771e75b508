"""Ability scores, modifiers, proficiency bonus, skills and saves (SRD "Using Ability Scores")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from game.abilities import (
    SKILLS,
    AbilityScores,
    Proficiency,
    ability_modifier,
    ability_name,
    proficiency_bonus,
    skill_ability,
    skill_modifier,
    skill_name,
)
from game.errors import RulesError

# SRD "Ability Scores and Modifiers" table.
MODIFIER_TABLE = {1: -5, 2: -4, 3: -4, 4: -3, 5: -3, 6: -2, 7: -2, 8: -1, 9: -1, 10: 0, 11: 0, 12: 1, 13: 1,
                  14: 2, 15: 2, 16: 3, 17: 3, 18: 4, 19: 4, 20: 5, 21: 5, 22: 6, 23: 6, 24: 7, 25: 7, 26: 8,
                  27: 8, 28: 9, 29: 9, 30: 10}


@pytest.mark.parametrize(("score", "modifier"), sorted(MODIFIER_TABLE.items()))
def test_modifier_matches_srd_table(score: int, modifier: int) -> None:
    assert ability_modifier(score) == modifier


@pytest.mark.parametrize(
    ("level", "bonus"),
    [(1, 2), (4, 2), (5, 3), (8, 3), (9, 4), (12, 4), (13, 5), (16, 5), (17, 6), (20, 6)],
)
def test_proficiency_bonus_by_level(level: int, bonus: int) -> None:
    assert proficiency_bonus(level) == bonus


@pytest.mark.parametrize("level", [0, 21, -3])
def test_proficiency_bonus_refuses_impossible_levels(level: int) -> None:
    with pytest.raises(RulesError):
        proficiency_bonus(level)


def test_eighteen_skills_with_their_srd_abilities() -> None:
    assert len(SKILLS) == 18
    assert skill_ability("Athletics") == "strength"
    assert skill_ability("Sleight of Hand") == "dexterity"
    assert skill_ability("animal-handling") == "wisdom"
    assert skill_ability("Investigation") == "intelligence"
    assert skill_ability("Persuasion") == "charisma"
    assert sum(1 for a in SKILLS.values() if a == "constitution") == 0


def test_names_normalise_and_unknown_names_are_refused() -> None:
    assert ability_name("DEX") == "dexterity"
    assert ability_name(" Charisma ") == "charisma"
    assert skill_name("Sleight of Hand") == "sleight_of_hand"
    with pytest.raises(RulesError):
        ability_name("luck")
    with pytest.raises(RulesError):
        skill_name("basket weaving")


def test_proficiency_levels_half_double() -> None:
    assert Proficiency.NONE.bonus(3) == 0
    assert Proficiency.HALF.bonus(3) == 1  # Jack of All Trades rounds down
    assert Proficiency.PROFICIENT.bonus(3) == 3
    assert Proficiency.EXPERTISE.bonus(3) == 6


def test_skill_modifiers() -> None:
    scores = AbilityScores(strength=8, dexterity=17, constitution=14, intelligence=10, wisdom=12, charisma=15)
    assert skill_modifier(scores, "stealth", 5, Proficiency.EXPERTISE) == 3 + 6
    assert skill_modifier(scores, "athletics", 1) == -1


def test_scores_are_frozen_and_bonuses_cap_at_20() -> None:
    scores = AbilityScores(strength=19)
    with pytest.raises(ValidationError, match="frozen"):
        scores.strength = 20  # type: ignore[misc]
    assert scores.with_bonuses({"str": 1}).strength == 20
    with pytest.raises(RulesError):
        scores.with_bonuses({"str": 2})
    assert AbilityScores.from_list([15, 14, 13, 12, 10, 8]).wisdom == 10


@given(st.integers(min_value=1, max_value=30))
def test_modifier_is_floor_of_half_distance_from_ten(score: int) -> None:
    mod = ability_modifier(score)
    assert 2 * mod + 10 <= score <= 2 * mod + 11

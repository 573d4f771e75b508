"""Ability scores, modifiers, proficiency bonus, skills and saving throws (SRD 5.1, "Using Ability Scores")."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from game.errors import RulesError

__all__ = [
    "ABILITIES",
    "ABILITY_ABBREVIATIONS",
    "SKILLS",
    "AbilityScores",
    "Proficiency",
    "ability_modifier",
    "ability_name",
    "proficiency_bonus",
    "skill_ability",
    "skill_modifier",
    "skill_name",
]

ABILITIES: Final[tuple[str, ...]] = (
    "strength",
    "dexterity",
    "constitution",
    "intelligence",
    "wisdom",
    "charisma",
)

ABILITY_ABBREVIATIONS: Final[dict[str, str]] = {
    "str": "strength",
    "dex": "dexterity",
    "con": "constitution",
    "int": "intelligence",
    "wis": "wisdom",
    "cha": "charisma",
}

# SRD 5.1 "Skills": each skill and the ability it uses.
SKILLS: Final[dict[str, str]] = {
    "athletics": "strength",
    "acrobatics": "dexterity",
    "sleight_of_hand": "dexterity",
    "stealth": "dexterity",
    "arcana": "intelligence",
    "history": "intelligence",
    "investigation": "intelligence",
    "nature": "intelligence",
    "religion": "intelligence",
    "animal_handling": "wisdom",
    "insight": "wisdom",
    "medicine": "wisdom",
    "perception": "wisdom",
    "survival": "wisdom",
    "deception": "charisma",
    "intimidation": "charisma",
    "performance": "charisma",
    "persuasion": "charisma",
}


class Proficiency(IntEnum):
    """How much of the proficiency bonus a check adds."""

    NONE = 0
    HALF = 1  # Bard's Jack of All Trades: half, rounded down
    PROFICIENT = 2
    EXPERTISE = 3  # double the proficiency bonus

    def bonus(self, prof_bonus: int) -> int:
        """The amount this level of proficiency adds, given the proficiency bonus."""
        if self is Proficiency.HALF:
            return prof_bonus // 2
        if self is Proficiency.PROFICIENT:
            return prof_bonus
        if self is Proficiency.EXPERTISE:
            return prof_bonus * 2
        return 0


def ability_name(name: str) -> str:
    """Normalise `"Dex"`, `"DEX"`, `"dexterity"` to `"dexterity"`.

    Raises:
        RulesError: the name is not one of the six abilities.
    """
    key = name.strip().lower()
    if key in ABILITIES:
        return key
    if key[:3] in ABILITY_ABBREVIATIONS and (len(key) == 3 or ABILITY_ABBREVIATIONS[key[:3]] == key):
        return ABILITY_ABBREVIATIONS[key[:3]]
    raise RulesError(f"{name!r} is not an ability (strength, dexterity, constitution, intelligence, wisdom, charisma).")


def skill_name(name: str) -> str:
    """Normalise `"Sleight of Hand"` / `"sleight-of-hand"` to `"sleight_of_hand"`.

    Raises:
        RulesError: the name is not an SRD skill.
    """
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in SKILLS:
        raise RulesError(f"{name!r} is not a skill.")
    return key


def skill_ability(skill: str) -> str:
    """The ability a skill uses (`"stealth"` → `"dexterity"`)."""
    return SKILLS[skill_name(skill)]


def ability_modifier(score: int) -> int:
    """The modifier for an ability score: (score − 10) / 2 rounded down (1 → −5, 10 → 0, 30 → +10)."""
    return (score - 10) // 2


def proficiency_bonus(level: int) -> int:
    """Proficiency bonus by character level (or CR ≥ 1): +2 at 1–4, +3 at 5–8, … +6 at 17–20.

    Raises:
        RulesError: level outside 1–20.
    """
    if not 1 <= level <= 20:
        raise RulesError(f"Character level must be between 1 and 20, not {level}.")
    return 2 + (level - 1) // 4


class AbilityScores(BaseModel):
    """The six ability scores (1–30). A frozen value: changes make a new one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strength: int = Field(10, ge=1, le=30)
    dexterity: int = Field(10, ge=1, le=30)
    constitution: int = Field(10, ge=1, le=30)
    intelligence: int = Field(10, ge=1, le=30)
    wisdom: int = Field(10, ge=1, le=30)
    charisma: int = Field(10, ge=1, le=30)

    def score(self, ability: str) -> int:
        """The score for an ability, by name or abbreviation."""
        return int(getattr(self, ability_name(ability)))

    def modifier(self, ability: str) -> int:
        """The modifier for an ability, by name or abbreviation."""
        return ability_modifier(self.score(ability))

    def as_dict(self) -> dict[str, int]:
        return {a: self.score(a) for a in ABILITIES}

    def with_bonuses(self, bonuses: dict[str, int], cap: int = 20) -> AbilityScores:
        """A copy with bonuses added (racial increases, Ability Score Improvement), capped at `cap`.

        Raises:
            RulesError: unknown ability name, or a score would exceed `cap`.
        """
        values = self.as_dict()
        for ability, bonus in bonuses.items():
            key = ability_name(ability)
            new = values[key] + bonus
            if new > cap:
                raise RulesError(f"{key.capitalize()} cannot go above {cap} (would be {new}).")
            values[key] = new
        return AbilityScores(**values)

    @classmethod
    def from_list(cls, scores: list[int] | tuple[int, ...]) -> AbilityScores:
        """Scores given in the order STR, DEX, CON, INT, WIS, CHA."""
        if len(scores) != 6:
            raise RulesError(f"Six ability scores are needed, got {len(scores)}.")
        return cls(**dict(zip(ABILITIES, scores)))


def skill_modifier(
    scores: AbilityScores, skill: str, level: int, proficiency: Proficiency = Proficiency.NONE
) -> int:
    """Ability modifier plus the proficiency share for a skill check."""
    return scores.modifier(skill_ability(skill)) + proficiency.bonus(proficiency_bonus(level))

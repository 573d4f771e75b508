"""Level-up pieces shared by creation and `level_up`: subclass grants, repeated features, multiclass
proficiencies and spell slots carried over (SRD 5.1 "Beyond 1st Level", "Multiclassing").
"""

from __future__ import annotations

from collections.abc import Sequence

from game.abilities import skill_name
from game.character import Character, Proficiencies
from game.errors import RulesError
from game.multiclass import GainedProficiencies
from game.slots import SpellSlots
from game.subclass_spells import always_prepared
from game.subclasses import draconic_resilience_hp, subclass_features

__all__ = ["NON_STACKING", "add_features", "apply_subclass", "carry_spent_slots", "class_features_gained",
           "lore_bonus_skills", "merge_proficiencies"]

# Features a second class doesn't give again (SRD p. 57): Extra Attack doesn't add up, Unarmored Defense once.
NON_STACKING: tuple[str, ...] = ("Extra Attack", "Unarmored Defense")


def apply_subclass(
    character: Character, class_name: str, subclass: str | None, old_level: int, new_level: int, choices: dict[str, str]
) -> tuple[str, ...]:
    """Record a class's subclass and what it gives between two class levels: its features, Life's heavy
    armor, Draconic Resilience's hit points, always-prepared spells. Returns the new feature names."""
    if choices:
        character.choices = {**character.choices, **choices}
    if subclass is None:
        return ()
    key = class_name.lower()
    if len(character.classes) <= 1:
        character.subclass = subclass
    else:
        character.classes = [c.model_copy(update={"subclass": subclass}) if c.name.lower() == key else c
                             for c in character.classes]
    before = set(subclass_features(class_name, subclass, old_level)) if old_level else set()
    gained = tuple(f for f in subclass_features(class_name, subclass, new_level) if f not in before)
    if "Bonus Proficiency" in gained and key == "cleric" and "heavy" not in character.proficiencies.armor:
        armor = (*character.proficiencies.armor, "heavy")
        character.proficiencies = character.proficiencies.model_copy(update={"armor": armor})
    if "Dragon Ancestor" in gained and "Draconic" not in character.proficiencies.languages:  # speak Draconic
        languages = (*character.proficiencies.languages, "Draconic")
        character.proficiencies = character.proficiencies.model_copy(update={"languages": languages})
    if "Draconic Resilience" in character.features or "Draconic Resilience" in gained:
        extra = draconic_resilience_hp(new_level) - draconic_resilience_hp(old_level)
        character.max_hp += extra
        character.hp = min(character.hp + extra, character.hit_point_maximum)
    spells = always_prepared(subclass, new_level, character.choices.get("land"))
    character.spells_prepared = [*character.spells_prepared, *(x for x in spells if x not in character.spells_prepared)]
    character.features = add_features(character.features, gained)
    return gained


def add_features(features: Sequence[str], new: Sequence[str]) -> list[str]:
    """Append features, keeping a repeated grant: a second "Expertise" becomes "Expertise (2)"."""
    out = list(features)
    for name in new:
        if name not in out:
            out.append(name)
            continue
        count = 2
        while f"{name} ({count})" in out:
            count += 1
        out.append(f"{name} ({count})")
    return out


def class_features_gained(
    existing: Sequence[str], new: Sequence[str], multiclass_gain: GainedProficiencies | None
) -> tuple[str, ...]:
    """A class level's features, without the ones that don't stack across classes (Extra Attack from a
    second class, a second Unarmored Defense)."""
    return tuple(f for f in new if f and not (f in NON_STACKING and f in existing))


def merge_proficiencies(current: Proficiencies, gained: GainedProficiencies) -> Proficiencies:
    """Add a new class's multiclass proficiencies to the character's."""

    def union(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*a, *b]))

    return current.model_copy(update={
        "armor": union(current.armor, gained.armor),
        "weapons": union(current.weapons, gained.weapons),
        "tools": union(current.tools, gained.tools),
        "skills": union(current.skills, gained.skills),
    })


def carry_spent_slots(old: SpellSlots, new: SpellSlots) -> SpellSlots:
    """New slots arrive unspent; slots already spent stay spent."""
    for level, maximum in new.maximum.items():
        spent = old.maximum.get(level, 0) - old.current.get(level, 0)
        new.current[level] = max(0, maximum - spent)
    pact_spent = old.pact_maximum - old.pact_current
    new.pact_current = max(0, new.pact_maximum - pact_spent)
    return new


def lore_bonus_skills(skills: Sequence[str]) -> GainedProficiencies:
    """College of Lore's Bonus Proficiencies (bard 3): three different skills of the player's choice."""
    keys = tuple(dict.fromkeys(skill_name(s) for s in skills))
    if len(keys) != 3:
        raise RulesError(f"The College of Lore gives three different skills, not {len(keys)}; nothing was changed.")
    return GainedProficiencies(skills=keys)

"""Advancing a character one level (SRD 5.1 "Beyond 1st Level", "Multiclassing" p. 56): hit points, a Hit
Die, class and subclass features, spell slots, an Ability Score Improvement, the subclass at its level, and a
first level in a new class. `game.creation` re-exports `level_up` and `LevelUp`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from game.abilities import ability_name
from game.advancement import (
    add_features,
    apply_subclass,
    carry_spent_slots,
    class_features_gained,
    lore_bonus_skills,
    merge_proficiencies,
)
from game.character import Character
from game.classes import get_class
from game.creation import ASI_LEVELS, XP_THRESHOLDS, character_armor_class, character_speed, hp_gain
from game.errors import RulesError
from game.multiclass import ClassLevel, check_multiclass, multiclass_spell_slots, proficiencies_gained
from game.races import resolve_race
from game.resources import refresh_resources
from game.subclasses import check_choices, resolve_subclass

__all__ = ["LevelUp", "level_up"]


class LevelUp(BaseModel):
    """What a level-up changed."""

    model_config = ConfigDict(frozen=True)

    name: str
    level: int
    hp_gained: int
    max_hp: int
    new_features: tuple[str, ...]
    proficiency_bonus: int
    ability_increases: dict[str, int]
    hp_roll: dict[str, object] | None = None
    class_name: str = ""  # the class that gained the level
    class_level: int = 0
    subclass: str | None = None


def level_up(
    character: Character,
    *,
    class_name: str | None = None,
    subclass: str | None = None,
    skills: Sequence[str] = (),
    choices: Mapping[str, str] | None = None,
    hp_method: Literal["average", "roll"] = "average",
    ability_increases: Mapping[str, int] | None = None,
    milestone: bool = False,
) -> LevelUp:
    """Advance one level: hit points, a hit die, features, spell slots, an Ability Score Improvement, the
    subclass at its level — in the primary class, or in `class_name` (multiclassing, SRD p. 56).

    Args:
        class_name: the class to gain a level in (default the primary one); a new class must meet the
            multiclassing prerequisites of the old and the new class.
        subclass: the subclass when the class reaches its subclass level (default the SRD's one).
        skills: a new class's multiclass skill choice (bard: any one; ranger, rogue: one from the list).
        choices: subclass choices (`{"land": "forest"}`), see `game.subclasses.check_choices`.
        ability_increases: at an ASI level of the class, +2 to one ability or +1 to two (max 20).
        milestone: level without the XP (the DM awards a level).

    Raises:
        RulesError: not enough XP, already level 20, prerequisites not met, or an increase not allowed.
    """
    info = get_class(class_name or character.class_name)
    new_level = character.level + 1
    if new_level > 20:
        raise RulesError(f"{character.name} is already level 20.")
    if not milestone and character.xp < XP_THRESHOLDS[new_level - 1]:
        raise RulesError(
            f"{character.name} needs {XP_THRESHOLDS[new_level - 1]} XP for level {new_level} "
            f"and has {character.xp}."
        )
    old_class_level = character.class_level(info.name)
    class_level = old_class_level + 1
    if old_class_level == 0:
        check_multiclass([c.name for c in character.class_list()], info.name, character.ability_scores)
    gained = proficiencies_gained(info.name, skills) if old_class_level == 0 else None
    lore = None  # College of Lore's Bonus Proficiencies at bard 3: three skills of the player's choice
    if old_class_level and info.key == "bard" and class_level == 3 and skills:
        lore = lore_bonus_skills(skills)
    elif old_class_level and skills:
        raise RulesError(f"A {info.name} level {class_level} gives no skill to choose; nothing was changed.")
    increases = {ability_name(k): v for k, v in (ability_increases or {}).items() if v}
    if increases:
        if class_level not in ASI_LEVELS.get(info.key, ASI_LEVELS["default"]):
            raise RulesError(f"{info.name}s get no Ability Score Improvement at level {class_level}.")
        if sum(increases.values()) != 2 or any(v < 1 for v in increases.values()):
            raise RulesError("An Ability Score Improvement is +2 to one ability or +1 to two.")
    chosen_sub = character.subclass_of(info.name) or resolve_subclass(info.name, class_level, subclass)
    picked = check_choices(dict(choices or {}))
    old_con = character.ability_scores.modifier("constitution")
    scores = character.ability_scores.with_bonuses(increases) if increases else character.ability_scores
    _, sub = resolve_race(character.race, character.subrace)
    gain, hp_roll = hp_gain(info.name, scores.constitution, hp_method, sub.hp_per_level if sub else 0)
    # A higher Con modifier raises the hit point maximum by 1 per earlier level too.
    gain += (scores.modifier("constitution") - old_con) * character.level

    earlier = info.features(old_class_level) if old_class_level else ()
    class_features = class_features_gained(character.features, info.features(class_level)[len(earlier):], gained)
    classes = [ClassLevel(name=c.name, subclass=c.subclass, level=c.level + (c.name.lower() == info.key))
               for c in character.class_list()]
    if old_class_level == 0:
        classes.append(ClassLevel(name=info.name, level=1))
    new_slots = info.spell_slots(class_level) if len(classes) == 1 else multiclass_spell_slots(classes)
    new_slots = carry_spent_slots(character.spell_slots, new_slots)

    max_before = character.max_hp
    if len(classes) == 1:
        character.level = new_level
    else:
        character.classes = classes
    character.ability_scores = scores
    character.max_hp += gain
    character.hp = min(character.hp + gain, character.hit_point_maximum)  # halved at exhaustion 4+
    character.hit_dice += 1
    character.spell_slots = new_slots
    character.features = add_features(character.features, class_features)
    if gained is not None:
        character.proficiencies = merge_proficiencies(character.proficiencies, gained)
    sub_features = apply_subclass(character, info.name, chosen_sub, old_class_level, class_level, picked)
    if lore is not None:
        character.proficiencies = merge_proficiencies(character.proficiencies, lore)
    character.armor_class = character_armor_class(character)
    character.speed = character_speed(character)  # more Strength can lift a heavy-armor penalty
    if "Jack of All Trades" in character.features and not character.proficiencies.jack_of_all_trades:
        character.proficiencies = character.proficiencies.model_copy(update={"jack_of_all_trades": True})
    refresh_resources(character)  # class-table pools grow with the level (spent uses stay spent)
    return LevelUp(
        name=character.name,
        level=new_level,
        hp_gained=character.max_hp - max_before,
        max_hp=character.max_hp,
        new_features=(*class_features, *sub_features),
        proficiency_bonus=character.proficiency_bonus,
        ability_increases=increases,
        hp_roll=hp_roll.to_dict() if hp_roll else None,
        class_name=info.name,
        class_level=class_level,
        subclass=chosen_sub,
    )

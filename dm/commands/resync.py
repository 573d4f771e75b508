"""`!resync_character`'s arithmetic: recompute what the rules derive from a sheet, keep what play did.

Derived from the classes and their levels (multiclassing included), race and scores: Armor Class (what
is equipped), maximum hit points (the first class's hit die at 1st level, then each class's fixed
average, + Con, + a hill dwarf's toughness and Draconic Resilience), spell-slot maxima (the multiclass
table when there are several casting classes), the first class's saving throws, class and subclass
features that are missing, Jack of All Trades, speed, the hit-dice ceiling. Kept from play: damage
taken (hit points drop only when above the new maximum), spent slots (a slot spent stays spent), and
what was added on top of the rules (extra saving throws from a feature, extra features).
"""

from __future__ import annotations

from typing import Any

from game.advancement import add_features, carry_spent_slots, class_features_gained
from game.character import Character
from game.classes import get_class
from game.creation import character_armor_class, character_speed, hp_at_first_level, hp_gain
from game.errors import RulesError
from game.multiclass import multiclass_spell_slots
from game.races import resolve_race
from game.slots import SpellSlots
from game.subclasses import draconic_resilience_hp, subclass_features

__all__ = ["expected_features", "expected_max_hp", "resync"]


def expected_max_hp(who: Character) -> int:
    """Max HP by the rules: the first class's hit die maximum + Con at 1st level, each later level its
    class's fixed average + Con (at least 1), a hill dwarf's +1 a level, Draconic Resilience's +1 a level."""
    try:
        _, sub = resolve_race(who.race, who.subrace)
    except RulesError:
        sub = None
    per_level = sub.hp_per_level if sub else 0
    con = who.ability_scores.constitution
    total = hp_at_first_level(who.classes[0].name, con, per_level)
    for index, taken in enumerate(who.classes):
        later = taken.level - (1 if index == 0 else 0)
        total += later * hp_gain(taken.name, con, "average", per_level)[0]
    if "Draconic Resilience" in who.features:
        total += draconic_resilience_hp(who.class_level("sorcerer"))
    return total


def expected_features(who: Character) -> list[str]:
    """Every class and subclass feature the character's class levels give, in order."""
    features: list[str] = []
    for taken in who.classes:
        gained = class_features_gained(features, get_class(taken.name).features(taken.level), None)
        features = add_features(features, gained)
        extra = [f for f in subclass_features(taken.name, taken.subclass, taken.level) if f not in features]
        features = add_features(features, extra)
    return features


def _slot_view(slots: SpellSlots) -> dict[str, int]:
    view = {str(k): v for k, v in sorted(slots.maximum.items()) if v}
    if slots.pact_maximum:
        view[f"pact {slots.pact_level}"] = slots.pact_maximum
    return view


def resync(who: Character) -> list[dict[str, Any]]:
    """Bring `who` (changed in place) in line with the rules; returns [{field, before, after}] for each change.

    Raises:
        RulesError: the sheet's class or race is not one the rules know.
    """
    info = get_class(who.classes[0].name)
    changes: list[dict[str, Any]] = []

    def note(field: str, before: Any, after: Any) -> None:
        if before != after:
            changes.append({"field": field, "before": before, "after": after})

    features = [*who.features, *(f for f in expected_features(who) if f and f not in who.features)]
    note("features", len(who.features), len(features))
    who.features = features

    max_hp = expected_max_hp(who)
    before_max, before_hp = who.max_hp, who.hp
    if max_hp < who.hp:
        who.hp = max_hp
    who.max_hp = max_hp
    note("max_hp", before_max, who.max_hp)
    note("hp", before_hp, who.hp)

    try:
        ac = character_armor_class(who)
    except RulesError:  # armor the rules don't know: keep the sheet's AC
        ac = who.armor_class
    note("armor_class", who.armor_class, ac)
    who.armor_class = ac

    fresh = info.spell_slots(who.level) if len(who.classes) == 1 else multiclass_spell_slots(who.classes)
    slots = carry_spent_slots(who.spell_slots, fresh)
    note("spell_slots", _slot_view(who.spell_slots), _slot_view(slots))
    who.spell_slots = slots

    jack = "Jack of All Trades" in who.features
    saves = tuple(dict.fromkeys([*info.saving_throws, *who.proficiencies.saving_throws]))
    proficiencies = who.proficiencies.model_copy(update={"saving_throws": saves, "jack_of_all_trades": jack})
    note("saving_throws", list(who.proficiencies.saving_throws), list(saves))
    note("jack_of_all_trades", who.proficiencies.jack_of_all_trades, jack)
    who.proficiencies = proficiencies

    try:
        speed = character_speed(who)
    except RulesError:
        speed = who.speed
    note("speed", who.speed, speed)
    who.speed = speed

    if who.hit_dice > who.level:
        note("hit_dice", who.hit_dice, who.level)
        who.hit_dice = who.level
    return changes

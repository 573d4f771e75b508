"""`!resync_character`'s arithmetic: recompute what the rules derive from a sheet, keep what play did.

Derived from class, level, race and scores: Armor Class (what is equipped), maximum hit points (the
class's fixed average per level after the first, + Con), spell-slot maxima, saving-throw proficiencies,
Jack of All Trades, class features, speed, the hit-dice ceiling. Kept from play: damage taken (hit points
drop only when above the new maximum), spent slots (a slot spent stays spent), everything else.
"""

from __future__ import annotations

from typing import Any

from game.character import Character
from game.classes import get_class
from game.creation import character_armor_class, character_speed, hp_at_first_level, hp_gain
from game.errors import RulesError
from game.races import resolve_race
from game.slots import SpellSlots

__all__ = ["expected_max_hp", "resync"]


def expected_max_hp(who: Character) -> int:
    """Max HP by the rules: the hit die's maximum + Con at 1st level, the fixed average + Con after."""
    try:
        _, sub = resolve_race(who.race, who.subrace)
    except RulesError:
        sub = None
    per_level = sub.hp_per_level if sub else 0
    con = who.ability_scores.constitution
    first = hp_at_first_level(who.class_name, con, per_level)
    return first + (who.level - 1) * hp_gain(who.class_name, con, "average", per_level)[0]


def _slots(old: SpellSlots, new: SpellSlots) -> SpellSlots:
    for level, maximum in new.maximum.items():
        spent = max(0, old.maximum.get(level, 0) - old.current.get(level, 0))
        new.current[level] = max(0, maximum - spent)
    new.pact_current = max(0, new.pact_maximum - max(0, old.pact_maximum - old.pact_current))
    return new


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
    info = get_class(who.class_name)
    changes: list[dict[str, Any]] = []

    def note(field: str, before: Any, after: Any) -> None:
        if before != after:
            changes.append({"field": field, "before": before, "after": after})

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

    slots = _slots(who.spell_slots, info.spell_slots(who.level))
    note("spell_slots", _slot_view(who.spell_slots), _slot_view(slots))
    who.spell_slots = slots

    features = [*who.features, *(f for f in info.features(who.level) if f and f not in who.features)]
    note("features", len(who.features), len(features))
    who.features = features

    jack = who.level >= 2 and "Jack of All Trades" in who.features
    proficiencies = who.proficiencies.model_copy(update={"saving_throws": tuple(info.saving_throws),
                                                         "jack_of_all_trades": jack})  # fmt: skip
    note("saving_throws", list(who.proficiencies.saving_throws), list(proficiencies.saving_throws))
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

"""Validation of class-resource effects: `resource_spend` and `feature_end` (registered in `game.validation`).

A spend is refused, with a sentence the DM can narrate, when the character lacks the feature, has
too few uses left ("Grog has no rages left until they finish a long rest"), is dead or incapacitated,
or the feature's own rule forbids it: a second rage while raging, a rage in heavy armor, Arcane
Recovery beyond half the wizard level (rounded up), of a 6th-level or higher slot or of a slot that
is not spent, Font of Magic above a 5th-level slot or into a full slot level, Relentless Endurance
above 0 hit points. Accepted spends report the pool as it stands (`remaining`, `max`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from game.character import Character, DeathSaves
from game.conditions import can_act
from game.effects import FeatureEnd, GameState, ResourceSpend, require_alive
from game.errors import IllegalEffect, RulesError
from game.resources import (
    FONT_OF_MAGIC_COST,
    RESOURCE_NAMES,
    arcane_recovery_limit,
    class_level,
    end_rage,
    resource_key,
    spend_resource,
)

__all__ = ["MAX_RESOURCE_SPEND", "RESOURCE_APPLIERS"]

MAX_RESOURCE_SPEND: Final = 100  # a 20th-level paladin's Lay on Hands pool
_Result = tuple[GameState, dict[str, Any], str]


def _name(key: str) -> str:
    return RESOURCE_NAMES.get(key, key.replace("_", " "))


def _in_heavy_armor(who: Character) -> bool:
    from game.equipment import find_armor

    for item in who.inventory.equipped:
        armor = find_armor(item.name) if item.kind == "armor" else None
        if armor is not None and armor.category == "heavy":
            return True
    return False


def _start_rage(who: Character) -> None:
    if "rage" in who.active_features:
        raise IllegalEffect(f"{who.name} is already raging.")
    if _in_heavy_armor(who):
        raise IllegalEffect(f"{who.name} can't rage in heavy armor.")


def _check_frenzy(who: Character) -> None:
    """Frenzy (Path of the Berserker, barbarian 3) is a way to rage."""
    sub = (who.subclass_of("barbarian") or "").lower()
    if "berserker" not in sub or class_level(who, "barbarian") < 3:
        raise IllegalEffect(f"{who.name} has no Frenzy (a Path of the Berserker barbarian's feature from level 3).")


def _arcane_recovery(who: Character, levels: list[int]) -> str:
    """Check and regain the named slots (each one a spent slot of 1st–5th level). Returns a summary tail."""
    if not levels:
        raise IllegalEffect("Arcane Recovery needs the levels of the spent slots to regain (e.g. 2 1).")
    limit = arcane_recovery_limit(class_level(who, "wizard"))
    if any(level >= 6 or level < 1 for level in levels):
        raise IllegalEffect("Arcane Recovery regains slots of 1st to 5th level only.")
    if sum(levels) > limit:
        raise IllegalEffect(f"Arcane Recovery regains slots of at most {limit} combined levels for {who.name}.")
    for level, count in Counter(levels).items():
        spent = who.spell_slots.maximum.get(level, 0) - who.spell_slots.current.get(level, 0)
        if spent < count:
            raise IllegalEffect(f"{who.name} has {spent} spent level-{level} slot(s) to regain, not {count}.")
    for level in levels:
        who.spell_slots.restore(level, 1)
    return " and regains level " + ", ".join(str(level) for level in sorted(levels)) + " slot(s)"


def _relentless(who: Character) -> str:
    if who.hp > 0:
        raise IllegalEffect(f"{who.name} is still standing; Relentless Endurance works when dropped to 0 hit points.")
    who.hp = 1
    who.death_saves = DeathSaves()
    who.remove_condition("unconscious")
    return " and stays on their feet at 1 hit point"


def _font_of_magic(who: Character, e: ResourceSpend) -> tuple[dict[str, Any], str]:
    if "sorcery_points" not in who.resources:
        raise IllegalEffect(f"{who.name} has no Font of Magic.")
    if len(e.slot_levels) != 1:
        raise IllegalEffect("Font of Magic works on one spell slot at a time: name its level.")
    level = e.slot_levels[0]
    points = who.resources["sorcery_points"]
    if e.to_points:
        if points.remaining + level > points.max:
            raise IllegalEffect(f"{who.name} can hold at most {points.max} sorcery points.")
        try:
            who.spell_slots.spend(level)
        except RulesError:
            raise IllegalEffect(f"{who.name} has no level-{level} spell slot left to convert.") from None
        new = points.model_copy(update={"remaining": points.remaining + level})
        who.resources = {**who.resources, "sorcery_points": new}
        tail = f"turns a level-{level} slot into {level} sorcery points ({new.remaining} now)"
        return {"slot_level": level, "points_gained": level, "remaining": new.remaining}, tail
    if level not in FONT_OF_MAGIC_COST:
        raise IllegalEffect("Font of Magic creates spell slots of 1st to 5th level only.")
    if who.spell_slots.current.get(level, 0) >= who.spell_slots.maximum.get(level, 0):
        raise IllegalEffect(f"{who.name} has no spent level-{level} slot for Font of Magic to fill.")
    cost = FONT_OF_MAGIC_COST[level]
    left = spend_resource(who, "sorcery_points", cost)
    who.spell_slots.restore(level, 1)
    tail = f"spends {cost} sorcery points on a level-{level} spell slot ({left.remaining} points left)"
    return {"slot_level": level, "points_spent": cost, "remaining": left.remaining}, tail


def _resource_spend(state: GameState, e: ResourceSpend, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "use class features")
    require_alive(who.name, who.dead)
    key = resource_key(e.resource)
    if not 1 <= e.amount <= MAX_RESOURCE_SPEND:
        raise IllegalEffect(f"Spending {e.amount} of {_name(key)} is not possible (1 to {MAX_RESOURCE_SPEND}).")
    if key != "relentless_endurance" and not can_act(who.conditions, who.exhaustion):
        raise IllegalEffect(f"{who.name} is in no state to use {_name(key)}.")
    if key == "font_of_magic":
        extra, tail = _font_of_magic(who, e)
        changes = {"target": cid, "resource": key, **extra}
        return state.replace(cid, who), changes, f"{who.name} {tail}."
    frenzy = key == "frenzy"
    if frenzy:
        _check_frenzy(who)
        key = "rage"
    if key == "rage":
        _start_rage(who)
    if key not in who.resources:
        raise IllegalEffect(f"{who.name} does not have {_name(key)}.")
    pool = who.resources[key]
    if not pool.unlimited and pool.remaining < e.amount:
        spend_resource(who, key, e.amount)  # raises NoResourceLeft with the rest that brings it back
    tail = ""
    if key == "arcane_recovery":
        tail = _arcane_recovery(who, e.slot_levels)
    elif key == "relentless_endurance":
        tail = _relentless(who)
    left = spend_resource(who, key, e.amount)
    if key == "rage":
        who.active_features = [*who.active_features, "rage", *(["frenzy"] if frenzy else [])]
        tail = " and flies into a frenzied rage" if frenzy else " and flies into a rage"
    left_text = "unlimited" if left.unlimited else f"{left.remaining} of {left.max} left"
    changes = {"target": cid, "resource": key, "spent": e.amount, "remaining": left.remaining, "max": left.max,
               "unlimited": left.unlimited, "active_features": list(who.active_features), "hp": who.hp}  # fmt: skip
    return state.replace(cid, who), changes, f"{who.name} uses {_name(key)}{tail} ({left_text})."


def _feature_end(state: GameState, e: FeatureEnd, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "end a feature")
    key = resource_key(e.feature)
    key = "rage" if key == "frenzy" else key
    if key not in who.active_features:
        raise IllegalEffect(f"{who.name} is not using {_name(key)} right now.")
    before = who.exhaustion
    if key == "rage":
        end_rage(who)  # a frenzy leaves one level of exhaustion
    else:
        who.active_features = [f for f in who.active_features if f != key]
    changes = {"target": cid, "feature": key, "active_features": list(who.active_features),
               "exhaustion": who.exhaustion, "dead": who.dead}  # fmt: skip
    tail = f" and leaves {who.name} at exhaustion level {who.exhaustion}" if who.exhaustion > before else ""
    return state.replace(cid, who), changes, f"{who.name}'s {_name(key)} ends{tail}."


RESOURCE_APPLIERS: Final[dict[str, Callable[[GameState, Any, random.Random], _Result]]] = {
    "resource_spend": _resource_spend,
    "feature_end": _feature_end,
}

"""Validate the AI's proposed effects against the rules, one by one, and apply the legal ones.

`validate_effects(state, effects)` returns one `EffectOutcome` per effect; `apply_effects` also
returns the new `GameState`. Effects are applied **in order**: each is judged against the state
left by the accepted effects before it (damage then healing on the same character add up; an
item added in effect 1 can be removed in effect 2). Refused effects change nothing. The state
passed in is never mutated.

Never raises for a bad effect: anything the rules (or the models' own bounds) reject becomes a
refused outcome naming the `RulesError` subclass and a sentence the DM can narrate. Only bugs
escape as other exceptions (a property test checks this).

Plausibility rules — absurd numbers are refused, never clamped silently:
- healing at most `max(MAX_HEAL, target's max HP)`: 100 is *heal* cast with a 9th-level slot, the
  largest single-target healing roll in the SRD, and max HP covers "regain all hit points" effects.
  Healing more than is missing is fine and the outcome reports what was `wasted`.
- damage at most `MAX_DAMAGE` (500) per effect: above a *meteor swarm*'s 240, doubled by vulnerability.
- temporary hit points 1..`MAX_TEMP_HP` (100), and only when more than the current ones (they don't stack).
- items 1..`MAX_ITEM_QUANTITY` per effect; coins at most `MAX_COIN_CHANGE` of one type per effect; XP
  1..`MAX_XP_AWARD` (a CR 30 monster's 155,000); at most `MAX_EFFECTS` effects in one reply.
- exhaustion only rises through `condition_set` and only falls through `condition_clear`, by no more
  levels than there are.
Other rules: the dead take no effects; a character at 0 HP stays unconscious until healed, takes
death-save failures from damage and dies of massive damage; monsters (`Creature`) die at 0 HP
(SRD "Monsters and Death"); petrified creatures resist all damage, take no poison damage and can't
be poisoned (SRD p. 359); at exhaustion 4+ healing stops at half the maximum; unconscious or
otherwise incapacitated characters, and those in armor they aren't proficient with, spend no spell slots; `knock_out` on damage that drops a creature to 0
(a melee attacker's choice, SRD p. 98) leaves it unconscious and stable instead of dying, massive damage
included; a `location_change` is refused during
combat, to the current place, or to a place not in `known_locations` (when any are known) unless
`discovered=True`; a creature new to the story needs its hit points to join a `combat_start` or a
`combat_join` (newcomers slot in by initiative and the current combatant keeps the turn); a
`combat_leave` on the leaver's own turn passes it on; initiative is rolled as a Dexterity check (Jack of
All Trades adds to it; exhaustion, poisoned and frightened give disadvantage);
only the current combatant may end their turn (`NotYourTurn`), and turns of dead combatants are
skipped. The world and combat appliers live in `game.validation_world`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from game.character import Character
from game.conditions import (
    Condition,
    can_act,
    condition_immunities,
    damage_immunities,
    hit_point_maximum,
    parse_condition,
    resists_all_damage,
)
from game.damage import adjust_damage, concentration_save_dc, parse_damage_type
from game.dice import roll_d20
from game.effects import (
    EFFECT_ADAPTER,
    EFFECT_KINDS,
    MAX_TEXT,
    ConditionClear,
    ConditionSet,
    Creature,
    CurrencyChange,
    EffectOutcome,
    GameState,
    HpChange,
    ItemAdd,
    ItemRemove,
    SlotSpend,
    TempHp,
    clean_text,
    require_alive,
)
from game.errors import IllegalEffect, NoSpellSlot, RulesError
from game.inventory import COIN_VALUES_CP, Currency, make_item
from game.validation_resources import RESOURCE_APPLIERS
from game.validation_world import MAX_XP_AWARD, WORLD_APPLIERS

__all__ = [
    "MAX_COIN_CHANGE",
    "MAX_DAMAGE",
    "MAX_EFFECTS",
    "MAX_HEAL",
    "MAX_ITEM_QUANTITY",
    "MAX_TEMP_HP",
    "MAX_XP_AWARD",
    "apply_effects",
    "validate_effects",
]

log = logging.getLogger(__name__)

MAX_EFFECTS: Final = 8  # one reply's proposals; `dm.reply` caps and its schema bounds `effects` by this
MAX_HEAL: Final = 100
MAX_DAMAGE: Final = 500
MAX_TEMP_HP: Final = 100
MAX_ITEM_QUANTITY: Final = 1_000
MAX_COIN_CHANGE: Final = 100_000

_Result = tuple[GameState, dict[str, Any], str]


# --- hit points -----------------------------------------------------------------------------------


def _hp_change(state: GameState, e: HpChange, rng: random.Random) -> _Result:
    cid, who = state.find(e.target)
    require_alive(who.name, who.dead)
    if e.amount == 0:
        raise IllegalEffect(f"A change of 0 hit points does nothing to {who.name}.")
    if e.amount > 0:
        return _heal(state, cid, who, e.amount)
    return _damage(state, cid, who, e, rng)


def _heal(state: GameState, cid: str, who: Character | Creature, amount: int) -> _Result:
    cap = max(MAX_HEAL, who.max_hp)
    if amount > cap:
        raise IllegalEffect(
            f"Healing {who.name} for {amount} hit points is beyond any magic in the rules (at most {cap})."
        )
    before = who.hp
    hp, change = who.hit_points.heal(amount, ceiling=hit_point_maximum(who.max_hp, who.exhaustion))
    who = who.with_hit_points(hp)
    if change.revived:  # regaining any hit points ends unconsciousness from 0 (SRD p. 98)
        who = who.with_conditions(c for c in who.conditions if c != "unconscious")
    changes = {"target": cid, "hp": who.hp, "regained": change.regained, "wasted": change.wasted,
               "revived": change.revived}  # fmt: skip
    return state.replace(cid, who), changes, f"{who.name} regains {change.regained} hit points ({before} → {who.hp})."


def _damage(state: GameState, cid: str, who: Character | Creature, e: HpChange, rng: random.Random) -> _Result:
    amount = -e.amount
    if amount > MAX_DAMAGE:
        raise IllegalEffect(f"{amount} damage in one blow is beyond anything in the rules (at most {MAX_DAMAGE}).")
    damage_type = parse_damage_type(e.damage_type) if e.damage_type else None
    resistances, vulnerabilities, immunities = who.damage_defenses()
    taken = adjust_damage(
        amount,
        damage_type,
        resistances=resistances,
        vulnerabilities=vulnerabilities,
        immunities=(*immunities, *damage_immunities(who.conditions)),  # petrified: immune to poison
        resist_all=resists_all_damage(who.conditions),
    )
    hp, hurt = who.hit_points.take_damage(taken, critical=e.critical, knock_out=e.knock_out)
    concentrating = who.concentration is not None
    who = who.with_hit_points(hp)
    if hurt.dropped_to_zero and not hp.dead:
        who = who.with_conditions((*who.conditions, "unconscious"))
    if hurt.dropped_to_zero or hp.dead:  # unconscious (or dead) → incapacitated: concentration and a rage end
        who = who.after_incapacitated()
    changes: dict[str, Any] = {
        "target": cid, "damage_taken": taken, "temp_hp": hp.temporary, "hp": hp.current,
        "dropped_to_zero": hurt.dropped_to_zero, "instant_death": hurt.instant_death,
        "knocked_out": hurt.knocked_out, "dead": hp.dead, "death_saves": hp.death_saves.model_dump(),
    }  # fmt: skip
    if concentrating and taken > 0 and who.concentration is not None:
        who = _concentration_after_damage(who, concentration_save_dc(taken), rng, changes)
    changes["concentration"] = who.concentration
    kind = f" {damage_type.value}" if damage_type else ""
    tail = (
        " and dies" if hp.dead
        else " and is knocked out" if hurt.knocked_out
        else " and falls unconscious" if hurt.dropped_to_zero
        else ""
    )  # fmt: skip
    summary = f"{who.name} takes {taken}{kind} damage ({hurt.before} → {hurt.after} HP){tail}."
    return state.replace(cid, who), changes, summary


def _concentration_after_damage(
    who: Character | Creature, dc: int, rng: random.Random, changes: dict[str, Any]
) -> Character | Creature:
    """Damage calls for a Constitution save against `dc` to keep concentrating. The engine rolls it for a
    monster or NPC (d20 + its save bonus); a player rolls their own, so the DC goes into `changes`."""
    changes["concentration_save_dc"] = dc
    bonus = who.concentration_save_bonus
    if bonus is None:
        return who
    save = roll_d20(bonus, dc=dc, rng=rng)
    changes["concentration_save"] = save.to_dict()
    return who if save.success else who.without_concentration()


def _temp_hp(state: GameState, e: TempHp, rng: random.Random) -> _Result:
    cid, who = state.find(e.target)
    require_alive(who.name, who.dead)
    if not 1 <= e.amount <= MAX_TEMP_HP:
        raise IllegalEffect(f"{e.amount} temporary hit points is not possible (1 to {MAX_TEMP_HP}).")
    if e.amount <= who.temp_hp:
        raise IllegalEffect(
            f"{who.name} already has {who.temp_hp} temporary hit points; they don't stack, so {e.amount} adds nothing."
        )
    who = who.with_hit_points(who.hit_points.grant_temporary(e.amount))
    return (
        state.replace(cid, who),
        {"target": cid, "temp_hp": e.amount},
        f"{who.name} has {e.amount} temporary hit points.",
    )


# --- items and money ------------------------------------------------------------------------------


def _item_add(state: GameState, e: ItemAdd, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "carry items")
    name = clean_text(e.item, "item name", 120)
    if not 1 <= e.quantity <= MAX_ITEM_QUANTITY:
        raise IllegalEffect(f"{e.quantity} × {name} is not a plausible find (1 to {MAX_ITEM_QUANTITY}).")
    extra = (
        {"description": clean_text(e.description, "description", MAX_TEXT, allow_empty=True)} if e.description else {}
    )
    held = who.add_item(make_item(name, e.quantity, **extra))
    changes = {"target": cid, "item": held.name, "quantity": held.quantity}
    return state.replace(cid, who), changes, f"{who.name} now carries {held.quantity} × {held.name}."


def _item_remove(state: GameState, e: ItemRemove, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "give up items")
    if not 1 <= e.quantity <= MAX_ITEM_QUANTITY:
        raise IllegalEffect(f"Removing {e.quantity} of an item is not possible.")
    removed = who.remove_item(e.item, e.quantity)
    left = who.inventory.quantity(removed.name)
    changes = {"target": cid, "item": removed.name, "removed": e.quantity, "quantity": left}
    return state.replace(cid, who), changes, f"{who.name} loses {e.quantity} × {removed.name} ({left} left)."


def _currency_change(state: GameState, e: CurrencyChange, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "hold coins")
    deltas = {coin: getattr(e, coin) for coin in COIN_VALUES_CP}
    if not any(deltas.values()):
        raise IllegalEffect("A change of no coins at all does nothing.")
    for coin, delta in deltas.items():
        if abs(delta) > MAX_COIN_CHANGE:
            raise IllegalEffect(f"{abs(delta)} {coin} in one go is not plausible (at most {MAX_COIN_CHANGE}).")
    purse = who.currency.add(Currency(**{c: d for c, d in deltas.items() if d > 0}))
    coins = purse.model_dump()
    owed_cp = 0
    for coin, delta in deltas.items():  # spend the named coins first, then make change for the rest
        if delta < 0:
            take = min(coins[coin], -delta)
            coins[coin] -= take
            owed_cp += (-delta - take) * COIN_VALUES_CP[coin]
    purse = Currency(**coins)
    if owed_cp:
        try:
            purse = purse.pay(owed_cp)
        except RulesError as err:
            raise IllegalEffect(f"{who.name} cannot pay that: {err.user_message}") from None
    who.currency = purse
    return (
        state.replace(cid, who),
        {"target": cid, "currency": purse.model_dump()},
        f"{who.name} now has {purse.describe()}.",
    )


# --- conditions and slots -------------------------------------------------------------------------


def _condition_set(state: GameState, e: ConditionSet, rng: random.Random) -> _Result:
    cid, who = state.find(e.target)
    condition = parse_condition(e.condition)
    require_alive(who.name, who.dead)
    if who.immune_to_condition(condition.value):
        raise IllegalEffect(f"{who.name} is immune to being {condition.value}.")
    if condition in condition_immunities(who.conditions):  # petrified: immune to poison
        raise IllegalEffect(f"{who.name} is immune to being {condition.value} while petrified.")
    if condition is Condition.EXHAUSTION:
        level = who.exhaustion + 1 if e.level is None else e.level
        if not 1 <= level <= 6:
            raise IllegalEffect(f"Exhaustion goes from 1 to 6, not {level}.")
        if level <= who.exhaustion:
            raise IllegalEffect(f"{who.name} is already at exhaustion level {who.exhaustion}.")
        who = who.with_exhaustion(level)  # 4+: hit point maximum halved; 6: death
        summary = f"{who.name} is at exhaustion level {level}" + (" and dies." if level == 6 else ".")
        changes = {"target": cid, "exhaustion": level, "hp": who.hp, "dead": who.dead}
        return state.replace(cid, who), changes, summary
    if condition.value in who.conditions:
        raise IllegalEffect(f"{who.name} is already {condition.value}.")
    who = who.with_conditions((*who.conditions, condition.value))
    if not can_act(who.conditions, who.exhaustion):
        who = who.after_incapacitated()  # incapacitated: concentration (and a rage) end
    changes = {"target": cid, "conditions": list(who.conditions)}
    return state.replace(cid, who), changes, f"{who.name} is {condition.value}."


def _condition_clear(state: GameState, e: ConditionClear, rng: random.Random) -> _Result:
    cid, who = state.find(e.target)
    condition = parse_condition(e.condition)
    require_alive(who.name, who.dead)
    if condition is Condition.EXHAUSTION:
        levels = 1 if e.level is None else e.level
        if who.exhaustion == 0:
            raise IllegalEffect(f"{who.name} is not exhausted.")
        if not 1 <= levels <= who.exhaustion:
            raise IllegalEffect(f"{who.name} has {who.exhaustion} level(s) of exhaustion; {levels} cannot be removed.")
        level = who.exhaustion - levels
        who = who.with_exhaustion(level)
        return (
            state.replace(cid, who),
            {"target": cid, "exhaustion": level},
            f"{who.name} is at exhaustion level {level}.",
        )
    if condition.value not in who.conditions:
        raise IllegalEffect(f"{who.name} is not {condition.value}.")
    if condition is Condition.UNCONSCIOUS and who.hp == 0:
        raise IllegalEffect(f"{who.name} is at 0 hit points; only healing can wake them.")
    who = who.with_conditions(c for c in who.conditions if c != condition.value)
    changes = {"target": cid, "conditions": list(who.conditions)}
    return state.replace(cid, who), changes, f"{who.name} is no longer {condition.value}."


def _slot_spend(state: GameState, e: SlotSpend, rng: random.Random) -> _Result:
    cid, who = state.find_character(e.target, "cast spells")
    spell = clean_text(e.spell, "spell name") if e.spell else "the spell"
    require_alive(who.name, who.dead)
    if not can_act(who.conditions, who.exhaustion):
        raise IllegalEffect(f"{who.name} is in no state to cast {spell}.")
    if who.wears_armor_without_proficiency:  # SRD p. 62
        raise IllegalEffect(f"{who.name} can't cast {spell} while wearing armor they aren't proficient with.")
    if not 1 <= e.level <= 9:
        raise NoSpellSlot(who.name, spell, e.level, reason=f"there are no level-{e.level} spell slots")
    if who.spell_slots.total_maximum == 0:
        raise NoSpellSlot(who.name, spell, e.level, reason=f"{who.name} has no spell slots at all")
    try:
        used = who.spell_slots.spend(e.level)
    except RulesError:
        raise NoSpellSlot(who.name, spell, e.level, reason=f"no level-{e.level} spell slots are left") from None
    left = who.spell_slots.available(e.level)
    changes = {"target": cid, "level": e.level, "slot": used, "remaining": left}
    return state.replace(cid, who), changes, f"{who.name} spends a level-{e.level} slot on {spell} ({left} left)."


_APPLIERS: Final[dict[str, Callable[[GameState, Any, random.Random], _Result]]] = {
    "hp_change": _hp_change,
    "temp_hp": _temp_hp,
    "item_add": _item_add,
    "item_remove": _item_remove,
    "condition_set": _condition_set,
    "condition_clear": _condition_clear,
    "slot_spend": _slot_spend,
    "currency_change": _currency_change,
    **WORLD_APPLIERS,
    **RESOURCE_APPLIERS,
}


# --- entry points ---------------------------------------------------------------------------------


def _kind_of(raw: Any) -> str:
    kind = raw.get("kind") if isinstance(raw, dict) else getattr(raw, "kind", None)
    return kind if kind in EFFECT_KINDS else "unknown"


def _refused(index: int, kind: str, err: RulesError) -> EffectOutcome:
    return EffectOutcome(
        index=index, kind=kind, accepted=False, summary=err.user_message, reason=err.user_message,
        error=type(err).__name__,
    )  # fmt: skip


def _invalid(err: ValidationError) -> IllegalEffect:
    first = err.errors()[0] if err.errors() else {}
    if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        tag = first.get("ctx", {}).get("tag")
        return IllegalEffect(f"{tag!r} is not a kind of change the rules know." if tag else "That change has no kind.")
    where = ".".join(str(p) for p in first.get("loc", ()) if not isinstance(p, int)) or "effect"
    message = str(first.get("msg", "not understood"))
    return IllegalEffect(f"That change makes no sense to the rules ({where}: {message}).")


def apply_effects(
    state: GameState, effects: Iterable[Any], *, rng: random.Random | None = None
) -> tuple[GameState, list[EffectOutcome]]:
    """Judge and apply effects in order; returns the new state and one outcome per effect.

    Args:
        state: the state before the turn (never mutated).
        effects: `Effect` models or plain dicts (parsed here; a dict that doesn't parse is refused).
        rng: randomness for initiative rolls (seed it for reproducible tests).
    """
    rng = rng or random.Random()
    outcomes: list[EffectOutcome] = []
    for index, raw in enumerate(effects):
        kind = _kind_of(raw)
        try:
            if index >= MAX_EFFECTS:
                raise IllegalEffect(f"Too many changes in one turn (at most {MAX_EFFECTS}); this one is ignored.")
            payload = raw.model_dump() if isinstance(raw, BaseModel) else raw
            effect = EFFECT_ADAPTER.validate_python(payload)
            new_state, changes, summary = _APPLIERS[effect.kind](state, effect, rng)
        except RulesError as err:
            outcomes.append(_refused(index, kind, err))
            log.debug("effect %d (%s) refused: %s", index, kind, err.user_message)
            continue
        except ValidationError as err:
            outcomes.append(_refused(index, kind, _invalid(err)))
            continue
        state = new_state
        outcomes.append(EffectOutcome(index=index, kind=effect.kind, accepted=True, summary=summary, changes=changes))
    return state, outcomes


def validate_effects(
    state: GameState, effects: Iterable[Any], *, rng: random.Random | None = None
) -> list[EffectOutcome]:
    """One outcome per proposed effect, judged in order (see the module docstring). Never raises for a
    bad effect: refusals carry a narratable `reason`. Use `apply_effects` to get the new state too."""
    return apply_effects(state, effects, rng=rng)[1]

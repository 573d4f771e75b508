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
Other rules: the dead take no effects; a creature at 0 HP stays unconscious
until healed; a `location_change` is refused during combat, to the current place, or to a place not
in `known_locations` (when any are known) unless `discovered=True`; only the current combatant may
end their turn (`NotYourTurn`), and turns of dead combatants are skipped.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from game.character import Character, DeathSaves
from game.combat import MAX_COMBATANTS, Combat, Entrant
from game.conditions import Condition, can_act, hit_point_maximum, parse_condition, resists_all_damage
from game.damage import apply_damage, apply_healing, parse_damage_type
from game.death_saves import take_damage_at_zero
from game.effects import (
    EFFECT_ADAPTER,
    EFFECT_KINDS,
    CombatEnd,
    CombatStart,
    ConditionClear,
    ConditionSet,
    Creature,
    CurrencyChange,
    EffectOutcome,
    GameState,
    HpChange,
    ItemAdd,
    ItemRemove,
    LocationChange,
    NpcIntroduce,
    NpcRecord,
    PlotAdvance,
    PlotThread,
    SlotSpend,
    TempHp,
    TurnAdvance,
    XpAward,
)
from game.errors import IllegalEffect, NoCombatants, NoSpellSlot, RulesError, UnknownCharacter
from game.inventory import COIN_VALUES_CP, Currency, make_item

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

MAX_EFFECTS: Final = 20
MAX_HEAL: Final = 100
MAX_DAMAGE: Final = 500
MAX_TEMP_HP: Final = 100
MAX_ITEM_QUANTITY: Final = 1_000
MAX_COIN_CHANGE: Final = 100_000
MAX_XP_AWARD: Final = 155_000
MAX_NAME: Final = 100
MAX_TEXT: Final = 1_000

_Result = tuple[GameState, dict[str, Any], str]


# --- helpers --------------------------------------------------------------------------------------


def _text(value: str, what: str, limit: int = MAX_NAME, *, allow_empty: bool = False) -> str:
    text = " ".join(str(value).split())
    if not text and not allow_empty:
        raise IllegalEffect(f"The {what} is missing.")
    if len(text) > limit:
        raise IllegalEffect(f"The {what} is too long ({len(text)} characters; at most {limit}).")
    return text


def _find(state: GameState, ref: str) -> tuple[str, Character | Creature]:
    """Resolve an id or a (case-insensitive) name to a character or creature."""
    if not isinstance(ref, str) or not ref.strip():
        raise UnknownCharacter(str(ref))
    if ref in state.characters:
        return ref, state.characters[ref]
    if ref in state.creatures:
        return ref, state.creatures[ref]
    key = " ".join(ref.lower().split())
    matches: list[tuple[str, Character | Creature]] = [
        (cid, c) for cid, c in state.characters.items() if c.name.lower() == key
    ]
    matches += [(cid, c) for cid, c in state.creatures.items() if c.name.lower() == key or cid.lower() == key]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise IllegalEffect(f"More than one creature is called {ref!r}; say which one.")
    raise UnknownCharacter(ref)


def _character(state: GameState, ref: str, verb: str) -> tuple[str, Character]:
    cid, who = _find(state, ref)
    if not isinstance(who, Character):
        raise IllegalEffect(f"{who.name} is not a player character and cannot {verb}.")
    return cid, who.model_copy(deep=True)


def _alive(name: str, dead: bool) -> None:
    if dead:
        raise IllegalEffect(f"{name} is dead.")


def _put(state: GameState, cid: str, who: Character | Creature) -> GameState:
    if isinstance(who, Character):
        return state.model_copy(update={"characters": {**state.characters, cid: who}})
    return state.model_copy(update={"creatures": {**state.creatures, cid: who}})


# --- hit points -----------------------------------------------------------------------------------


def _hp_change(state: GameState, e: HpChange, rng: random.Random) -> _Result:
    cid, who = _find(state, e.target)
    _alive(who.name, who.dead)
    if e.amount == 0:
        raise IllegalEffect(f"A change of 0 hit points does nothing to {who.name}.")
    if e.amount > 0:
        return _heal(state, cid, who, e.amount)
    return _damage(state, cid, who, e)


def _heal(state: GameState, cid: str, who: Character | Creature, amount: int) -> _Result:
    cap = max(MAX_HEAL, who.max_hp)
    if amount > cap:
        raise IllegalEffect(
            f"Healing {who.name} for {amount} hit points is beyond any magic in the rules (at most {cap})."
        )
    ceiling = hit_point_maximum(who.max_hp, who.exhaustion)  # halved at exhaustion 4+
    out = apply_healing(hp=min(who.hp, ceiling), max_hp=ceiling, amount=amount)
    regained = max(0, out.hp_after - who.hp)
    revived = who.hp == 0 and regained > 0
    if isinstance(who, Character):
        who = who.model_copy(deep=True)
        who.heal(regained)
        if revived:
            who.remove_condition("unconscious")
    else:
        conditions = tuple(c for c in who.conditions if c != "unconscious" or not revived)
        who = who.model_copy(update={"hp": who.hp + regained, "conditions": conditions})
    changes = {"target": cid, "hp": who.hp, "regained": regained, "wasted": amount - regained, "revived": revived}
    return _put(state, cid, who), changes, f"{who.name} regains {regained} hit points ({who.hp - regained} → {who.hp})."


def _damage(state: GameState, cid: str, who: Character | Creature, e: HpChange) -> _Result:
    amount = -e.amount
    if amount > MAX_DAMAGE:
        raise IllegalEffect(f"{amount} damage in one blow is beyond anything in the rules (at most {MAX_DAMAGE}).")
    damage_type = parse_damage_type(e.damage_type) if e.damage_type else None
    if isinstance(who, Character):
        resistances: tuple[str, ...] = _race_resistances(who)
        vulnerabilities: tuple[str, ...] = ()
        immunities: tuple[str, ...] = ()
        concentrating = who.concentration is not None
    else:
        resistances, vulnerabilities, immunities = who.resistances, who.vulnerabilities, who.immunities
        concentrating = False
    out = apply_damage(
        hp=who.hp,
        max_hp=who.max_hp,
        temp_hp=who.temp_hp,
        amount=amount,
        damage_type=damage_type,
        resistances=resistances,
        vulnerabilities=vulnerabilities,
        immunities=immunities,
        resist_all=resists_all_damage(who.conditions),
        critical=e.critical,
        concentrating=concentrating,
    )
    changes: dict[str, Any] = {
        "target": cid,
        "damage_taken": out.damage_taken,
        "temp_hp": out.temp_hp_after,
        "hp": out.hp_after,
        "dropped_to_zero": out.dropped_to_zero,
        "instant_death": out.instant_death,
    }
    if isinstance(who, Creature):
        dead = out.hp_after == 0  # SRD "Monsters and Death": most monsters die at 0
        who = who.model_copy(update={"hp": out.hp_after, "temp_hp": out.temp_hp_after, "dead": dead})
        changes["dead"] = dead
    else:
        who = who.model_copy(deep=True)
        who.temp_hp = out.temp_hp_after
        who.hp = out.hp_after
        if out.instant_death:
            who.die()
        elif out.dropped_to_zero:
            who.add_condition("unconscious")
            who.death_saves = DeathSaves()
            who.end_concentration()  # unconscious → incapacitated → concentration ends
        elif out.death_save_failures:
            who.death_saves = take_damage_at_zero(who.death_saves, critical=e.critical)
            if who.death_saves.failures >= 3:
                who.die()
        changes.update(dead=who.dead, death_saves=who.death_saves.model_dump(), concentration=who.concentration)
        if out.concentration_dc is not None and who.concentration is not None:
            changes["concentration_save_dc"] = out.concentration_dc
    kind = f" {damage_type.value}" if damage_type else ""
    tail = " and dies" if changes.get("dead") else (" and falls unconscious" if out.dropped_to_zero else "")
    summary = f"{who.name} takes {out.damage_taken}{kind} damage ({out.hp_before} → {out.hp_after} HP){tail}."
    return _put(state, cid, who), changes, summary


def _race_resistances(who: Character) -> tuple[str, ...]:
    from game.races import get_race

    try:
        return get_race(who.race).resistances
    except RulesError:
        return ()


def _temp_hp(state: GameState, e: TempHp, rng: random.Random) -> _Result:
    cid, who = _find(state, e.target)
    _alive(who.name, who.dead)
    if not 1 <= e.amount <= MAX_TEMP_HP:
        raise IllegalEffect(f"{e.amount} temporary hit points is not possible (1 to {MAX_TEMP_HP}).")
    if e.amount <= who.temp_hp:
        raise IllegalEffect(
            f"{who.name} already has {who.temp_hp} temporary hit points; they don't stack, so {e.amount} adds nothing."
        )
    if isinstance(who, Character):
        who = who.model_copy(deep=True)
        who.grant_temp_hp(e.amount)
    else:
        who = who.model_copy(update={"temp_hp": e.amount})
    return _put(state, cid, who), {"target": cid, "temp_hp": e.amount}, f"{who.name} has {e.amount} temporary hit points."


# --- items and money ------------------------------------------------------------------------------


def _item_add(state: GameState, e: ItemAdd, rng: random.Random) -> _Result:
    cid, who = _character(state, e.target, "carry items")
    name = _text(e.item, "item name", 120)
    if not 1 <= e.quantity <= MAX_ITEM_QUANTITY:
        raise IllegalEffect(f"{e.quantity} × {name} is not a plausible find (1 to {MAX_ITEM_QUANTITY}).")
    extra = {"description": _text(e.description, "description", MAX_TEXT, allow_empty=True)} if e.description else {}
    held = who.add_item(make_item(name, e.quantity, **extra))
    changes = {"target": cid, "item": held.name, "quantity": held.quantity}
    return _put(state, cid, who), changes, f"{who.name} now carries {held.quantity} × {held.name}."


def _item_remove(state: GameState, e: ItemRemove, rng: random.Random) -> _Result:
    cid, who = _character(state, e.target, "give up items")
    if not 1 <= e.quantity <= MAX_ITEM_QUANTITY:
        raise IllegalEffect(f"Removing {e.quantity} of an item is not possible.")
    removed = who.remove_item(e.item, e.quantity)
    left = who.inventory.quantity(removed.name)
    changes = {"target": cid, "item": removed.name, "removed": e.quantity, "quantity": left}
    return _put(state, cid, who), changes, f"{who.name} loses {e.quantity} × {removed.name} ({left} left)."


def _currency_change(state: GameState, e: CurrencyChange, rng: random.Random) -> _Result:
    cid, who = _character(state, e.target, "hold coins")
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
    return _put(state, cid, who), {"target": cid, "currency": purse.model_dump()}, f"{who.name} now has {purse.describe()}."


# --- conditions and slots -------------------------------------------------------------------------


def _condition_set(state: GameState, e: ConditionSet, rng: random.Random) -> _Result:
    cid, who = _find(state, e.target)
    condition = parse_condition(e.condition)
    _alive(who.name, who.dead)
    if isinstance(who, Creature) and condition.value in {c.lower() for c in who.condition_immunities}:
        raise IllegalEffect(f"{who.name} is immune to being {condition.value}.")
    if condition is Condition.EXHAUSTION:
        level = who.exhaustion + 1 if e.level is None else e.level
        if not 1 <= level <= 6:
            raise IllegalEffect(f"Exhaustion goes from 1 to 6, not {level}.")
        if level <= who.exhaustion:
            raise IllegalEffect(f"{who.name} is already at exhaustion level {who.exhaustion}.")
        ceiling = hit_point_maximum(who.max_hp, level)  # level 4+: hit point maximum halved
        if isinstance(who, Character):
            who = who.model_copy(deep=True)
            who.set_exhaustion(level)
            who.hp = min(who.hp, ceiling)
        else:
            hp = 0 if level == 6 else min(who.hp, ceiling)
            who = who.model_copy(update={"exhaustion": level, "dead": level == 6, "hp": hp})
        summary = f"{who.name} is at exhaustion level {level}" + (" and dies." if level == 6 else ".")
        changes = {"target": cid, "exhaustion": level, "hp": who.hp, "dead": who.dead}
        return _put(state, cid, who), changes, summary
    if condition.value in who.conditions:
        raise IllegalEffect(f"{who.name} is already {condition.value}.")
    if isinstance(who, Character):
        who = who.model_copy(deep=True)
        who.add_condition(condition.value)
        if not can_act(who.conditions):
            who.end_concentration()  # incapacitated: concentration ends
    else:
        who = who.model_copy(update={"conditions": (*who.conditions, condition.value)})
    changes = {"target": cid, "conditions": list(who.conditions)}
    return _put(state, cid, who), changes, f"{who.name} is {condition.value}."


def _condition_clear(state: GameState, e: ConditionClear, rng: random.Random) -> _Result:
    cid, who = _find(state, e.target)
    condition = parse_condition(e.condition)
    _alive(who.name, who.dead)
    if condition is Condition.EXHAUSTION:
        levels = 1 if e.level is None else e.level
        if who.exhaustion == 0:
            raise IllegalEffect(f"{who.name} is not exhausted.")
        if not 1 <= levels <= who.exhaustion:
            raise IllegalEffect(f"{who.name} has {who.exhaustion} level(s) of exhaustion; {levels} cannot be removed.")
        level = who.exhaustion - levels
        if isinstance(who, Character):
            who = who.model_copy(deep=True)
            who.set_exhaustion(level)
        else:
            who = who.model_copy(update={"exhaustion": level})
        return _put(state, cid, who), {"target": cid, "exhaustion": level}, f"{who.name} is at exhaustion level {level}."
    if condition.value not in who.conditions:
        raise IllegalEffect(f"{who.name} is not {condition.value}.")
    if condition is Condition.UNCONSCIOUS and who.hp == 0:
        raise IllegalEffect(f"{who.name} is at 0 hit points; only healing can wake them.")
    if isinstance(who, Character):
        who = who.model_copy(deep=True)
        who.remove_condition(condition.value)
    else:
        who = who.model_copy(update={"conditions": tuple(c for c in who.conditions if c != condition.value)})
    changes = {"target": cid, "conditions": list(who.conditions)}
    return _put(state, cid, who), changes, f"{who.name} is no longer {condition.value}."


def _slot_spend(state: GameState, e: SlotSpend, rng: random.Random) -> _Result:
    cid, who = _character(state, e.target, "cast spells")
    spell = _text(e.spell, "spell name") if e.spell else "the spell"
    _alive(who.name, who.dead)
    if not can_act(who.conditions, who.exhaustion):
        raise IllegalEffect(f"{who.name} is in no state to cast {spell}.")
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
    return _put(state, cid, who), changes, f"{who.name} spends a level-{e.level} slot on {spell} ({left} left)."


# --- world ----------------------------------------------------------------------------------------


def _location_change(state: GameState, e: LocationChange, rng: random.Random) -> _Result:
    destination = _text(e.destination, "destination")
    if state.combat is not None:
        raise IllegalEffect(f"The party cannot travel to {destination} in the middle of a fight.")
    if state.location and state.location.lower() == destination.lower():
        raise IllegalEffect(f"The party is already at {destination}.")
    known = {k.lower(): k for k in state.known_locations}
    if destination.lower() in known:
        destination = known[destination.lower()]
        known_after = state.known_locations
    elif known and not e.discovered:
        raise IllegalEffect(f"Nobody knows the way to {destination} yet.")
    else:
        known_after = (*state.known_locations, destination)
    new = state.model_copy(update={"location": destination, "known_locations": known_after})
    return new, {"location": destination, "new_location": len(known_after) > len(state.known_locations)}, (
        f"The party arrives at {destination}."
    )


def _xp_award(state: GameState, e: XpAward, rng: random.Random) -> _Result:
    if not 1 <= e.amount <= MAX_XP_AWARD:
        raise IllegalEffect(f"An award of {e.amount} XP is not plausible (1 to {MAX_XP_AWARD}).")
    if not e.targets:
        raise IllegalEffect("An XP award needs at least one character.")
    resolved: dict[str, Character] = {}
    for ref in e.targets:
        cid, who = _character(state, ref, "gain experience")
        if cid in resolved:
            raise IllegalEffect(f"{who.name} is named twice in one award.")
        _alive(who.name, who.dead)
        resolved[cid] = who
    for cid, who in resolved.items():
        who.award_xp(e.amount)
        state = _put(state, cid, who)
    changes = {"amount": e.amount, "xp": {cid: who.xp for cid, who in resolved.items()}}
    names = ", ".join(w.name for w in resolved.values())
    return state, changes, f"{names} gain{'s' if len(resolved) == 1 else ''} {e.amount} XP."


def _npc_introduce(state: GameState, e: NpcIntroduce, rng: random.Random) -> _Result:
    name = _text(e.name, "NPC's name")
    key = name.lower()
    if key in state.npcs:
        raise IllegalEffect(f"{name} has already been introduced.")
    if any(c.name.lower() == key for c in state.characters.values()):
        raise IllegalEffect(f"{name} is a player character, not an NPC.")
    record = NpcRecord(name=name, description=_text(e.description, "description", MAX_TEXT, allow_empty=True))
    new = state.model_copy(update={"npcs": {**state.npcs, key: record}})
    return new, {"npc": name}, f"{name} enters the story."


def _plot_advance(state: GameState, e: PlotAdvance, rng: random.Random) -> _Result:
    name = _text(e.thread, "plot thread")
    progress = _text(e.progress, "progress note", MAX_TEXT, allow_empty=True)
    key = name.lower()
    old = state.plot_threads.get(key)
    if old is not None and old.resolved:
        raise IllegalEffect(f"The thread {old.name!r} is already resolved.")
    if old is not None and not progress and not e.resolved:
        raise IllegalEffect(f"Nothing new happens in {old.name!r}.")
    base = old or PlotThread(name=name)
    thread = base.model_copy(
        update={"progress": (*base.progress, progress) if progress else base.progress, "resolved": e.resolved}
    )
    new = state.model_copy(update={"plot_threads": {**state.plot_threads, key: thread}})
    verb = "is resolved" if e.resolved else ("begins" if old is None else "moves on")
    return new, {"thread": thread.name, "new": old is None, "resolved": e.resolved}, f"The thread {thread.name!r} {verb}."


# --- combat ---------------------------------------------------------------------------------------


def _combat_start(state: GameState, e: CombatStart, rng: random.Random) -> _Result:
    if state.combat is not None:
        raise IllegalEffect("A fight is already under way.")
    if not e.combatants:
        raise NoCombatants("A fight needs at least one combatant.")
    if len(e.combatants) > MAX_COMBATANTS:
        raise IllegalEffect(f"A fight can hold at most {MAX_COMBATANTS} combatants.")
    entrants: list[Entrant] = []
    for entrant in e.combatants:
        if entrant.initiative is not None and not -5 <= entrant.initiative <= 40:
            raise IllegalEffect(f"An initiative of {entrant.initiative} is not a possible roll.")
        try:
            cid, who = _find(state, entrant.id)
        except UnknownCharacter:
            cid, who = _new_creature(entrant)
            state = _put(state, cid, who)
        _alive(who.name, who.dead)
        if any(x.id == cid for x in entrants):
            raise IllegalEffect(f"{who.name} is listed twice.")
        dexterity = who.ability_scores.dexterity if isinstance(who, Character) else who.dexterity
        entrants.append(
            Entrant(
                id=cid,
                name=who.name,
                dexterity=dexterity,
                initiative=entrant.initiative,
                is_player=isinstance(who, Character),
            )
        )
    combat = Combat.start(entrants, rng)
    new = state.model_copy(update={"combat": combat.state()})
    order = [{"id": c.id, "name": c.name, "initiative": c.initiative} for c in combat.combatants]
    changes = {"order": order, "round": 1, "current": order[0]["id"]}
    return new, changes, "Roll for initiative! " + ", ".join(f"{c['name']} {c['initiative']}" for c in order) + "."


def _new_creature(entrant: Any) -> tuple[str, Creature]:
    cid = _text(entrant.id, "combatant id")
    name = _text(entrant.name or entrant.id, "combatant name")
    if entrant.hit_points is None:
        raise IllegalEffect(f"{name} is new to the story; give its hit points to bring it into the fight.")
    if not 1 <= entrant.hit_points <= 1_000:
        raise IllegalEffect(f"{entrant.hit_points} hit points is not a creature in the rules.")
    dexterity = 10 if entrant.dexterity is None else entrant.dexterity
    if not 1 <= dexterity <= 30:
        raise IllegalEffect(f"A Dexterity of {dexterity} is not possible.")
    ac = 10 if entrant.armor_class is None else entrant.armor_class
    if not 1 <= ac <= 30:
        raise IllegalEffect(f"An Armor Class of {ac} is not possible.")
    return cid, Creature(id=cid, name=name, hp=entrant.hit_points, max_hp=entrant.hit_points, armor_class=ac, dexterity=dexterity)


def _combat_end(state: GameState, e: CombatEnd, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("There is no fight to end.")
    return state.model_copy(update={"combat": None}), {"combat": None, "rounds": state.combat.round}, "The fight is over."


def _is_dead(state: GameState, cid: str) -> bool:
    who = state.characters.get(cid) or state.creatures.get(cid)
    return bool(who is not None and who.dead)


def _turn_advance(state: GameState, e: TurnAdvance, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("No fight is going on, so there are no turns to end.")
    combat = Combat.from_state(state.combat, rng)
    actor = e.actor if e.actor in combat else None
    if actor is None:
        key = " ".join(str(e.actor).lower().split())
        actor = next((c.id for c in combat.combatants if c.name.lower() == key or c.id.lower() == key), None)
    if actor is None:
        raise UnknownCharacter(str(e.actor))
    combat.require_turn(actor)
    event = combat.advance_turn()
    skipped: list[str] = []
    new_round = event.new_round
    while _is_dead(state, event.current) and len(skipped) < len(combat) - 1:
        skipped.append(event.current)
        event = combat.advance_turn()
        new_round = new_round or event.new_round
    current = state.characters.get(event.current)
    dying = current is not None and not current.dead and current.hp == 0 and not current.death_saves.stable
    changes = {
        "round": event.round,
        "current": event.current,
        "new_round": new_round,
        "skipped": skipped,
        "death_save_due": dying,
    }
    new = state.model_copy(update={"combat": combat.state()})
    return new, changes, f"Round {event.round}: it is {event.current_name}'s turn."


_APPLIERS: Final[dict[str, Callable[[GameState, Any, random.Random], _Result]]] = {
    "hp_change": _hp_change,
    "temp_hp": _temp_hp,
    "item_add": _item_add,
    "item_remove": _item_remove,
    "condition_set": _condition_set,
    "condition_clear": _condition_clear,
    "slot_spend": _slot_spend,
    "location_change": _location_change,
    "xp_award": _xp_award,
    "combat_start": _combat_start,
    "combat_end": _combat_end,
    "turn_advance": _turn_advance,
    "npc_introduce": _npc_introduce,
    "plot_advance": _plot_advance,
    "currency_change": _currency_change,
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

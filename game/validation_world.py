"""The world and combat half of effect validation: location, XP, NPCs, plot threads, fights.

Called only through `game.validation.apply_effects` / `validate_effects`, which document the rules
as a whole; each applier takes the state and one effect and returns (new state, exact changes,
summary) or raises a `RulesError` subclass with a sentence the DM can narrate.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

from game.character import Character
from game.combat import MAX_COMBATANTS, Combat, Entrant
from game.conditions import can_act, check_roll_modifier
from game.effects import (
    MAX_TEXT,
    CombatEnd,
    CombatJoin,
    CombatLeave,
    CombatStart,
    Creature,
    Dodge,
    GameState,
    LocationChange,
    NpcIntroduce,
    NpcRecord,
    PlotAdvance,
    PlotThread,
    TurnAdvance,
    XpAward,
    clean_text,
    require_alive,
)
from game.errors import IllegalEffect, NoCombatants, UnknownCharacter
from game.resources import is_lucky

__all__ = ["MAX_XP_AWARD", "WORLD_APPLIERS"]

MAX_XP_AWARD: Final = 155_000  # a CR 30 monster (SRD "Experience Points by Challenge Rating")

_Result = tuple[GameState, dict[str, Any], str]


# --- world --------------------------------------------------------------------------------------


def _location_change(state: GameState, e: LocationChange, rng: random.Random) -> _Result:
    destination = clean_text(e.destination, "destination")
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
    return (
        new,
        {"location": destination, "new_location": len(known_after) > len(state.known_locations)},
        (f"The party arrives at {destination}."),
    )


def _xp_award(state: GameState, e: XpAward, rng: random.Random) -> _Result:
    if not 1 <= e.amount <= MAX_XP_AWARD:
        raise IllegalEffect(f"An award of {e.amount} XP is not plausible (1 to {MAX_XP_AWARD}).")
    if not e.targets:
        raise IllegalEffect("An XP award needs at least one character.")
    resolved: dict[str, Character] = {}
    for ref in e.targets:
        cid, who = state.find_character(ref, "gain experience")
        if cid in resolved:
            raise IllegalEffect(f"{who.name} is named twice in one award.")
        require_alive(who.name, who.dead)
        resolved[cid] = who
    for cid, who in resolved.items():
        who.award_xp(e.amount)
        state = state.replace(cid, who)
    changes = {"amount": e.amount, "xp": {cid: who.xp for cid, who in resolved.items()}}
    names = ", ".join(w.name for w in resolved.values())
    return state, changes, f"{names} gain{'s' if len(resolved) == 1 else ''} {e.amount} XP."


def _npc_introduce(state: GameState, e: NpcIntroduce, rng: random.Random) -> _Result:
    name = clean_text(e.name, "NPC's name")
    key = name.lower()
    if key in state.npcs:
        raise IllegalEffect(f"{name} has already been introduced.")
    if any(c.name.lower() == key for c in state.characters.values()):
        raise IllegalEffect(f"{name} is a player character, not an NPC.")
    record = NpcRecord(name=name, description=clean_text(e.description, "description", MAX_TEXT, allow_empty=True))
    new = state.model_copy(update={"npcs": {**state.npcs, key: record}})
    return new, {"npc": name}, f"{name} enters the story."


def _plot_advance(state: GameState, e: PlotAdvance, rng: random.Random) -> _Result:
    name = clean_text(e.thread, "plot thread")
    progress = clean_text(e.progress, "progress note", MAX_TEXT, allow_empty=True)
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
    return (
        new,
        {"thread": thread.name, "new": old is None, "resolved": e.resolved},
        f"The thread {thread.name!r} {verb}.",
    )


# --- combat ---------------------------------------------------------------------------------------


def _entrants(state: GameState, combatants: list[Any]) -> tuple[GameState, list[Entrant]]:
    """Resolve proposed combatants to `Entrant`s; creatures new to the story are added to the state.

    Raises:
        IllegalEffect: an impossible initiative, a dead or repeated combatant, a new creature without hit points.
    """
    entrants: list[Entrant] = []
    combatants = _numbered_newcomers(state, combatants)
    for entrant in combatants:
        if entrant.initiative is not None and not -5 <= entrant.initiative <= 40:
            raise IllegalEffect(f"An initiative of {entrant.initiative} is not a possible roll.")
        try:
            cid, who = state.find(entrant.id)
        except UnknownCharacter:
            cid, who = _new_creature(entrant)
            state = state.replace(cid, who)
        require_alive(who.name, who.dead)
        if any(x.id == cid for x in entrants):
            raise IllegalEffect(f"{who.name} is listed twice.")
        # d20 + Dex modifier is rolled from the score; a character's other initiative bonuses ride on top
        dexterity, bonus = who.initiative_dexterity, who.initiative_bonus
        # initiative is a Dexterity check: exhaustion 1+, poisoned, frightened → disadvantage (SRD p. 90, p. 358)
        mode = check_roll_modifier(who.conditions, who.exhaustion).mode
        entrants.append(
            Entrant(
                id=cid,
                name=who.name,
                dexterity=dexterity,
                initiative=entrant.initiative,
                initiative_bonus=bonus,
                initiative_advantage=mode,
                initiative_lucky=is_lucky(who),
                is_player=who.is_player,
            )
        )
    return state, entrants


def _numbered_newcomers(state: GameState, combatants: list[Any]) -> list[Any]:
    """Creatures new to the story that share a name are numbered: two goblins become "Goblin 1" and
    "Goblin 2" (ids "goblin-1", "goblin-2"), and a newcomer named like a creature already here takes the
    next free number. Names in a fight stay unique, so players (and the database) can tell them apart."""

    def known(ref: str) -> bool:
        try:
            state.find(ref)
        except (UnknownCharacter, IllegalEffect):
            return False
        return True

    new = [c for c in combatants if not known(c.id)]
    by_name: dict[str, list[Any]] = {}
    for c in new:
        by_name.setdefault(" ".join(str(c.name or c.id).lower().split()), []).append(c)
    taken = {c.name.lower() for c in (*state.creatures.values(), *state.characters.values())}
    renamed: dict[int, Any] = {}
    for key, group in by_name.items():
        if len(group) == 1 and key not in taken:
            continue
        number = 1
        for c in group:
            base = " ".join(str(c.name or c.id).split())
            while f"{base} {number}".lower() in taken or known(f"{c.id}-{number}"):
                number += 1
            renamed[id(c)] = c.model_copy(update={"id": f"{c.id}-{number}", "name": f"{base} {number}"})
            taken.add(f"{base} {number}".lower())
            number += 1
    return [renamed.get(id(c), c) for c in combatants]


def _order(combat: Combat) -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.name, "initiative": c.initiative} for c in combat.combatants]


def _combat_start(state: GameState, e: CombatStart, rng: random.Random) -> _Result:
    if state.combat is not None:
        raise IllegalEffect("A fight is already under way.")
    if not e.combatants:
        raise NoCombatants("A fight needs at least one combatant.")
    if len(e.combatants) > MAX_COMBATANTS:
        raise IllegalEffect(f"A fight can hold at most {MAX_COMBATANTS} combatants.")
    state, entrants = _entrants(state, e.combatants)
    combat = Combat.start(entrants, rng)
    new = state.model_copy(update={"combat": combat.state()})
    order = _order(combat)
    changes = {"order": order, "round": 1, "current": order[0]["id"]}
    return new, changes, "Roll for initiative! " + ", ".join(f"{c['name']} {c['initiative']}" for c in order) + "."


def _new_creature(entrant: Any) -> tuple[str, Creature]:
    cid = clean_text(entrant.id, "combatant id")
    name = clean_text(entrant.name or entrant.id, "combatant name")
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
    return cid, Creature(
        id=cid, name=name, hp=entrant.hit_points, max_hp=entrant.hit_points, armor_class=ac, dexterity=dexterity
    )


def _combat_join(state: GameState, e: CombatJoin, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("No fight is going on to join; start one.")
    if not e.combatants:
        raise IllegalEffect("Nobody was named to join the fight.")
    combat = Combat.from_state(state.combat, rng)
    if len(combat) + len(e.combatants) > MAX_COMBATANTS:
        raise IllegalEffect(f"A fight can hold at most {MAX_COMBATANTS} combatants.")
    state, entrants = _entrants(state, e.combatants)
    for x in entrants:
        if x.id in combat:
            raise IllegalEffect(f"{x.name} is already in the fight.")
    for x in entrants:  # the current combatant keeps the turn (Combat.add_combatant)
        combat.add_combatant(x.id, x.name, dexterity=x.dexterity, initiative=x.initiative,
                             initiative_bonus=x.initiative_bonus, is_player=x.is_player,
                             advantage=x.initiative_advantage, lucky=x.initiative_lucky)  # fmt: skip
    current = combat.current
    assert current is not None
    changes = {"order": _order(combat), "round": combat.round, "current": current.id}
    names = ", ".join(x.name for x in entrants)
    return state.model_copy(update={"combat": combat.state()}), changes, f"{names} join the fight."


def _combat_leave(state: GameState, e: CombatLeave, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("No fight is going on to leave.")
    combat = Combat.from_state(state.combat, rng)
    try:
        cid, who = state.find(e.target)
    except UnknownCharacter:
        cid, who = str(e.target), None
    if cid not in combat:
        raise UnknownCharacter(str(e.target))
    removed = combat.remove_combatant(cid)
    if not len(combat):
        raise IllegalEffect(f"{removed.name} is the last one in the fight; end the fight instead.")
    current = combat.current
    assert current is not None
    changes = {"left": cid, "order": _order(combat), "round": combat.round, "current": current.id}
    name = who.name if who is not None else removed.name
    return state.model_copy(update={"combat": combat.state()}), changes, f"{name} leaves the fight."


def _combat_end(state: GameState, e: CombatEnd, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("There is no fight to end.")
    return (
        state.model_copy(update={"combat": None}),
        {"combat": None, "rounds": state.combat.round},
        "The fight is over.",
    )


def _is_dead(state: GameState, cid: str) -> bool:
    who = state.characters.get(cid) or state.creatures.get(cid)
    return bool(who is not None and who.dead)


def _combatant_id(combat: Combat, ref: object) -> str:
    """The fight's id for `ref` (an id, or a name in any case and spacing)."""
    if ref in combat:
        return str(ref)
    key = " ".join(str(ref).lower().split())
    found = next((c.id for c in combat.combatants if c.name.lower() == key or c.id.lower() == key), None)
    if found is None:
        raise UnknownCharacter(str(ref))
    return found


def _turn_advance(state: GameState, e: TurnAdvance, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("No fight is going on, so there are no turns to end.")
    combat = Combat.from_state(state.combat, rng)
    actor = _combatant_id(combat, e.actor)
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


def _dodge(state: GameState, e: Dodge, rng: random.Random) -> _Result:
    if state.combat is None:
        raise NoCombatants("No fight is going on; the Dodge action is for a fight.")
    combat = Combat.from_state(state.combat, rng)
    actor = _combatant_id(combat, e.actor)
    who = state.characters.get(actor) or state.creatures.get(actor)
    if who is not None and not can_act(who.conditions, who.exhaustion):
        raise IllegalEffect(f"{who.name} is incapacitated and cannot take the Dodge action.")
    dodger = combat.dodge(actor)
    changes = {"dodging": actor, "until": "the start of their next turn"}
    return (state.model_copy(update={"combat": combat.state()}), changes,
            f"{dodger.name} takes the Dodge action: attacks against them have disadvantage until their next turn.")


WORLD_APPLIERS: Final[dict[str, Callable[[GameState, Any, random.Random], _Result]]] = {
    "location_change": _location_change,
    "xp_award": _xp_award,
    "npc_introduce": _npc_introduce,
    "plot_advance": _plot_advance,
    "combat_start": _combat_start,
    "combat_end": _combat_end,
    "combat_join": _combat_join,
    "combat_leave": _combat_leave,
    "turn_advance": _turn_advance,
    "dodge": _dodge,
}

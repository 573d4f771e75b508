"""A campaign's state as players and tools see it: the `lorekeeper campaign state NAME --json` contract.

    {"campaign", "location", "time", "game_minutes", "weather",
     "characters": [{id, name, player, race, class, level, hp, max_hp, temp_hp, ac, conditions,
                     inventory: [{name, quantity}], currency, spell_slots,
                     resources: {name: {max, remaining}} (max and remaining null when unlimited)}],
     "combat": null | {round, current, order: [{name, initiative, hp}]},
     "npcs_met": [...], "plot_threads": [...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from game.character import Character
from game.effects import GameState

__all__ = ["game_time", "state_view"]


def game_time(minutes: int) -> str:
    """In-game minutes since day 1, 00:00 → "Day 1, 08:00"."""
    day, rest = divmod(max(0, minutes), 24 * 60)
    return f"Day {day + 1}, {rest // 60:02d}:{rest % 60:02d}"


def _slots(who: Character) -> dict[str, Any]:
    slots = who.spell_slots
    view: dict[str, Any] = {
        str(level): {"max": maximum, "remaining": slots.current.get(level, 0)}
        for level, maximum in sorted(slots.maximum.items())
        if maximum
    }
    if slots.pact_maximum:
        view["pact"] = {"level": slots.pact_level, "max": slots.pact_maximum, "remaining": slots.pact_current}
    return view


def _character(cid: str, who: Character, players: Mapping[int, str]) -> dict[str, Any]:
    conditions = list(who.conditions)
    if who.exhaustion:
        conditions.append(f"exhaustion {who.exhaustion}")
    return {
        "id": cid,
        "name": who.name,
        "player": players.get(who.player_id or -1, str(who.player_id) if who.player_id is not None else None),
        "player_id": who.player_id,
        "race": who.race,
        "subrace": who.subrace,
        "class": who.class_name,
        "subclass": who.subclass,
        "level": who.level,
        "hp": who.hp,
        "max_hp": who.max_hp,
        "temp_hp": who.temp_hp,
        "ac": who.armor_class,
        "conditions": conditions,
        "dead": who.dead,
        "concentration": who.concentration,
        "inventory": [{"name": i.name, "quantity": i.quantity} for i in who.inventory.items],
        "currency": who.currency.model_dump(),
        "spell_slots": _slots(who),
        "resources": {
            key: {"max": None if pool.unlimited else pool.max, "remaining": None if pool.unlimited else pool.remaining}
            for key, pool in who.resources.items()
        },
    }


def _combat(state: GameState) -> dict[str, Any] | None:
    combat = state.combat
    if combat is None or not combat.combatants:
        return None
    order = []
    for c in combat.combatants:
        who = state.characters.get(c.id) or state.creatures.get(c.id)
        order.append({"id": c.id, "name": c.name, "initiative": c.initiative, "hp": who.hp if who else None})
    return {"round": combat.round, "current": combat.combatants[combat.turn_index].name, "order": order}


def state_view(campaign: str, state: GameState, players: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The JSON-ready view of `state` (see the module docstring)."""
    players = players or {}
    return {
        "campaign": campaign,
        "location": state.location,
        "time": game_time(state.game_minutes),
        "game_minutes": state.game_minutes,
        "weather": state.weather,
        "characters": [_character(cid, who, players) for cid, who in state.characters.items()],
        "creatures": [
            {"id": cid, "name": c.name, "hp": c.hp, "max_hp": c.max_hp, "ac": c.armor_class, "dead": c.dead,
             "conditions": list(c.conditions)}
            for cid, c in state.creatures.items()
        ],  # fmt: skip
        "combat": _combat(state),
        "npcs_met": [{"name": n.name, "description": n.description, "alive": n.alive} for n in state.npcs.values()],
        "plot_threads": [
            {"name": t.name, "progress": list(t.progress), "resolved": t.resolved} for t in state.plot_threads.values()
        ],
        "events": [{"name": e.name, "status": e.status} for e in state.events.values()],
    }

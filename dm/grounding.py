"""Grounded gains: the rules engine refuses the impossible; this refuses the unearned.

    allowed, held = hold_unearned(state, reply.effects)

Gold, items, XP and new foes the model proposes are held for the owner unless they can be traced
to the campaign text, the SRD or the rules (first cut: every such gain is held).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from game.effects import Effect, GameState

__all__ = ["HELD", "effect_target", "hold_unearned"]

HELD = "held for the owner"


def effect_target(effect: Any) -> str:
    for attr in ("target", "destination", "thread", "name", "actor"):
        value = getattr(effect, attr, None) if not isinstance(effect, dict) else effect.get(attr)
        if isinstance(value, str) and value:
            return value
    targets = getattr(effect, "targets", None) if not isinstance(effect, dict) else effect.get("targets")
    if isinstance(targets, list):
        return ", ".join(str(t) for t in targets)
    combatants = getattr(effect, "combatants", None)
    if combatants:
        return ", ".join(c.id for c in combatants)
    return ""


def _unearned(state: GameState, effect: Effect) -> str | None:
    """Why a gain needs the owner's word (first cut: every gain from the model), or None."""
    kind = effect.kind
    if kind == "item_add":
        return f"{effect.item} does not appear from nowhere; {HELD} (!add_item)"  # type: ignore[union-attr]
    if kind == "xp_award":
        return f"experience is {HELD} (!award_xp)"
    if kind == "currency_change" and any(getattr(effect, c) > 0 for c in ("cp", "sp", "ep", "gp", "pp")):
        return f"coins do not appear from nowhere; {HELD}"
    if kind in ("combat_start", "combat_join"):
        unknown = [c.id for c in effect.combatants  # type: ignore[union-attr]
                   if c.id not in state.characters and c.id not in state.creatures]
        if unknown:
            return f"new foes ({', '.join(unknown)}) do not appear from nowhere; {HELD}"
    return None


def hold_unearned(state: GameState, effects: Sequence[Effect]) -> tuple[list[Effect], list[dict[str, Any]]]:
    """Split the model's effects into those the rules engine judges and the gains held for the owner."""
    allowed: list[Effect] = []
    held: list[dict[str, Any]] = []
    for effect in effects:
        why = _unearned(state, effect)
        if why is None:
            allowed.append(effect)
        else:
            held.append({"kind": effect.kind, "target": effect_target(effect), "summary": why[0].upper() + why[1:] + ".",
                         "accepted": False})  # fmt: skip
    return allowed, held



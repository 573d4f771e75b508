"""The fight the DM tests stage: the goblin (initiative 15), then Brakka (12), then Mira (8)."""

from __future__ import annotations

from game.combat import Combatant, CombatState

__all__ = ["goblin_first"]


def goblin_first(turn: str | None) -> CombatState | None:
    """That fight with `turn` (a combatant id) to act; None: no fight."""
    if turn is None:
        return None
    order = (Combatant(id="goblin-1", name="Goblin", initiative=15),
             Combatant(id="brakka", name="Brakka", initiative=12, is_player=True),
             Combatant(id="mira", name="Mira", initiative=8, is_player=True))  # fmt: skip
    return CombatState(combatants=order, turn_index=[c.id for c in order].index(turn))

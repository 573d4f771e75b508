"""A stable creature's natural recovery (SRD 5.1 p. 98, "Stabilizing a Creature"): a stable creature that
isn't healed regains 1 hit point after 1d4 hours, and is conscious again.

The DM (or the clock) rolls the hours once when the creature becomes stable (`stable_recovery_hours`),
then calls `recover_stable` as time passes.
"""

from __future__ import annotations

from game.character import Character, Healed
from game.dice import DiceRoll, roll
from game.effects import Creature

__all__ = ["recover_stable", "recover_stable_creature", "stable_recovery_hours"]


def stable_recovery_hours() -> DiceRoll:
    """Roll the 1d4 hours a stable creature needs to regain 1 hit point."""
    return roll("1d4")


def recover_stable(character: Character, hours_elapsed: float, hours_needed: int) -> Healed | None:
    """After `hours_needed` (the 1d4 roll) a stable character at 0 hit points regains 1 and wakes.

    Returns what the heal did, or None when nothing happens (not stable at 0, dead, or not yet time).
    """
    if character.dead or character.hp > 0 or not character.death_saves.stable or hours_elapsed < hours_needed:
        return None
    return character.heal(1)


def recover_stable_creature(creature: Creature, hours_elapsed: float, hours_needed: int) -> Creature:
    """The same for a monster or NPC knocked out (0 hit points, not dead): 1 hit point and awake again."""
    if creature.dead or creature.hp > 0 or hours_elapsed < hours_needed:
        return creature
    conditions = tuple(c for c in creature.conditions if c != "unconscious")
    return creature.model_copy(update={"hp": 1, "conditions": conditions})

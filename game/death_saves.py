"""Death saving throws and stabilising (SRD 5.1 "Death Saving Throws", "Stabilizing a Creature", p. 98).

A creature that starts its turn at 0 hit points rolls a d20: 10 or higher is a success, lower a
failure; a natural 1 counts as two failures; a natural 20 means it regains 1 hit point. Three
successes make it stable, three failures kill it; both counts reset when it regains hit points or
becomes stable. Damage at 0 hit points is one failure (two from a critical hit) and makes a stable
creature unstable again. First aid is a DC 10 Wisdom (Medicine) check.

`DeathSaves` (from `game.character`, re-exported here) is a frozen value: every function returns
a new one, which the caller stores with `Character.set_death_saves` or by assignment.
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from game.character import Character
from game.hit_points import DeathSaves
from game.conditions import Advantage, save_roll_modifier
from game.dice import d20_faces
from game.errors import RulesError
from game.resources import is_lucky

__all__ = [
    "STABILIZE_DC",
    "DeathSaveResult",
    "DeathSaveStatus",
    "DeathSaves",
    "attempt_stabilize",
    "death_save_status",
    "make_death_save",
    "record_death_save",
    "roll_death_save",
]

STABILIZE_DC: Final = 10
_SAVE_DC: Final = 10


class DeathSaveStatus(StrEnum):
    """Where a creature at 0 hit points stands."""

    DYING = "dying"  # still rolling death saves
    STABLE = "stable"  # 0 hit points, unconscious, no more death saves
    DEAD = "dead"
    REVIVED = "revived"  # natural 20: back to 1 hit point


def death_save_status(saves: DeathSaves) -> DeathSaveStatus:
    """Dying, stable or dead, from the tallies (three failures is death)."""
    if saves.failures >= 3:
        return DeathSaveStatus.DEAD
    if saves.stable:
        return DeathSaveStatus.STABLE
    return DeathSaveStatus.DYING


class DeathSaveResult(BaseModel):
    """One death saving throw: the d20, the new tallies and what it means."""

    model_config = ConfigDict(frozen=True)

    natural: int
    success: bool
    saves: DeathSaves
    status: DeathSaveStatus
    hp_regained: int  # 1 on a natural 20, else 0


def _require_dying(saves: DeathSaves) -> None:
    if saves.failures >= 3:
        raise RulesError("The dead make no death saving throws.")
    if saves.stable:
        raise RulesError("A stable creature doesn't make death saving throws.")


def record_death_save(saves: DeathSaves, natural: int) -> DeathSaveResult:
    """Record a death save whose d20 showed `natural` (1–20).

    Raises:
        RulesError: the creature is stable or dead, or `natural` is not a d20 face.
    """
    _require_dying(saves)
    if not 1 <= natural <= 20:
        raise RulesError(f"A d20 cannot show {natural}.")
    if natural == 20:
        return DeathSaveResult(
            natural=20, success=True, saves=DeathSaves(), status=DeathSaveStatus.REVIVED, hp_regained=1
        )
    if natural >= _SAVE_DC:
        successes = saves.successes + 1
        if successes >= 3:
            new = DeathSaves(stable=True)  # counts reset on becoming stable
        else:
            new = saves.model_copy(update={"successes": successes})
        return DeathSaveResult(natural=natural, success=True, saves=new, status=death_save_status(new), hp_regained=0)
    failures = min(3, saves.failures + (2 if natural == 1 else 1))
    new = saves.model_copy(update={"failures": failures})
    return DeathSaveResult(natural=natural, success=False, saves=new, status=death_save_status(new), hp_regained=0)


def roll_death_save(
    saves: DeathSaves,
    rng: random.Random | None = None,
    *,
    advantage: Advantage = Advantage.NONE,
    lucky: bool = False,
) -> DeathSaveResult:
    """Roll a d20 with `rng` (a seeded `random.Random` in tests) and record it.

    With advantage or disadvantage two d20s are rolled and the higher or lower counts.
    """
    _require_dying(saves)
    faces = d20_faces(advantage, lucky=lucky, rng=rng or random)[1]  # Lucky: a natural 1 is rerolled
    natural = max(faces) if advantage is Advantage.ADVANTAGE else min(faces)
    return record_death_save(saves, natural)


def attempt_stabilize(saves: DeathSaves, medicine_total: int) -> DeathSaves:
    """First aid: a Wisdom (Medicine) check total of 10 or more makes the creature stable.

    Returns the unchanged tallies on a failed check.

    Raises:
        RulesError: the creature is dead or already stable.
    """
    _require_dying(saves)
    if medicine_total >= STABILIZE_DC:
        return DeathSaves(stable=True)
    return saves


def make_death_save(
    character: Character, rng: random.Random | None = None, *, natural: int | None = None
) -> DeathSaveResult:
    """Roll (or record `natural`) a death save for a dying character and update it in place.

    The roll has disadvantage at exhaustion 3 or more, as every saving throw does.

    A natural 20 brings it back to 1 hit point (conscious, tallies reset); a third failure kills it;
    a third success leaves it stable and unconscious at 0 hit points.

    Raises:
        RulesError: the character is not dying (above 0 hit points, stable or dead).
    """
    if character.dead or character.hp > 0:
        raise RulesError(f"{character.name} is not dying and makes no death saving throw.")
    # a death save is a saving throw: exhaustion 3+ gives disadvantage (SRD p. 358)
    mode = save_roll_modifier(character.conditions, "constitution", character.exhaustion).mode
    result = (
        roll_death_save(character.death_saves, rng, advantage=mode, lucky=is_lucky(character))
        if natural is None
        else record_death_save(character.death_saves, natural)
    )
    character.death_saves = result.saves
    if result.status is DeathSaveStatus.REVIVED:
        character.heal(result.hp_regained)
        character.remove_condition("unconscious")
    elif result.status is DeathSaveStatus.DEAD:
        character.die()
    return result

"""Spell-slot tables (SRD 5.1 class tables) and the `SpellSlots` a character spends.

Full casters (Bard, Cleric, Druid, Sorcerer, Wizard) use `FULL_CASTER_SLOTS`; half casters
(Paladin, Ranger) use `HALF_CASTER_SLOTS` (nothing at 1st level); the Warlock's Pact Magic has
its own few slots, all of one level, that come back on a short rest.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from game.errors import RulesError

__all__ = [
    "FULL_CASTER_SLOTS",
    "HALF_CASTER_SLOTS",
    "PACT_MAGIC",
    "SpellSlots",
    "slots_for",
]

# Index 0 = class level 1; each tuple lists slots of spell level 1, 2, 3, ...
FULL_CASTER_SLOTS: Final[tuple[tuple[int, ...], ...]] = (
    (2,),
    (3,),
    (4, 2),
    (4, 3),
    (4, 3, 2),
    (4, 3, 3),
    (4, 3, 3, 1),
    (4, 3, 3, 2),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 2),
    (4, 3, 3, 3, 2, 1),
    (4, 3, 3, 3, 2, 1),
    (4, 3, 3, 3, 2, 1, 1),
    (4, 3, 3, 3, 2, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 2, 1, 1, 1, 1),
    (4, 3, 3, 3, 3, 1, 1, 1, 1),
    (4, 3, 3, 3, 3, 2, 1, 1, 1),
    (4, 3, 3, 3, 3, 2, 2, 1, 1),
)

# Paladin and Ranger tables.
HALF_CASTER_SLOTS: Final[tuple[tuple[int, ...], ...]] = (
    (),
    (2,),
    (3,),
    (3,),
    (4, 2),
    (4, 2),
    (4, 3),
    (4, 3),
    (4, 3, 2),
    (4, 3, 2),
    (4, 3, 3),
    (4, 3, 3),
    (4, 3, 3, 1),
    (4, 3, 3, 1),
    (4, 3, 3, 2),
    (4, 3, 3, 2),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 1),
    (4, 3, 3, 3, 2),
    (4, 3, 3, 3, 2),
)

# Warlock table: (spell slots, slot level) by warlock level.
PACT_MAGIC: Final[tuple[tuple[int, int], ...]] = (
    (1, 1),
    (2, 1),
    (2, 2),
    (2, 2),
    (2, 3),
    (2, 3),
    (2, 4),
    (2, 4),
    (2, 5),
    (2, 5),
    (3, 5),
    (3, 5),
    (3, 5),
    (3, 5),
    (3, 5),
    (3, 5),
    (4, 5),
    (4, 5),
    (4, 5),
    (4, 5),
)


def _check_level(level: int) -> None:
    if not 1 <= level <= 20:
        raise RulesError(f"Class level must be between 1 and 20, not {level}.")


class SpellSlots(BaseModel):
    """Spell slots by spell level (1–9) plus Warlock pact slots. Mutable; slots never go below 0.

    `maximum`/`current` map spell level → number of slots. Pact slots are separate because
    they all share one level and come back on a short rest.
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    maximum: dict[int, int] = Field(default_factory=dict)
    current: dict[int, int] = Field(default_factory=dict)
    pact_level: int = Field(0, ge=0, le=5)
    pact_maximum: int = Field(0, ge=0, le=4)
    pact_current: int = Field(0, ge=0, le=4)

    def available(self, level: int) -> int:
        """Slots left that can cast a spell of exactly this slot level (pact slots included if they match)."""
        pact = self.pact_current if level == self.pact_level else 0
        return self.current.get(level, 0) + pact

    def lowest_available(self, minimum: int) -> int | None:
        """The lowest slot level ≥ `minimum` with a slot left, or None."""
        levels = sorted(lvl for lvl, n in self.current.items() if n > 0 and lvl >= minimum)
        if self.pact_current > 0 and self.pact_level >= minimum:
            levels.append(self.pact_level)
            levels.sort()
        return levels[0] if levels else None

    def spend(self, level: int) -> str:
        """Spend one slot of `level`; regular slots before pact slots. Returns `"slot"` or `"pact"`.

        Raises:
            RulesError: no slot of that level left.
        """
        if not 1 <= level <= 9:
            raise RulesError(f"There are no level-{level} spell slots.")
        if self.current.get(level, 0) > 0:
            self.current = {**self.current, level: self.current[level] - 1}
            return "slot"
        if self.pact_level == level and self.pact_current > 0:
            self.pact_current -= 1
            return "pact"
        raise RulesError(f"No level-{level} spell slots left.")

    def restore(self, level: int, count: int = 1) -> int:
        """Regain up to `count` regular slots of `level` (never above maximum). Returns how many came back."""
        room = self.maximum.get(level, 0) - self.current.get(level, 0)
        gained = max(0, min(count, room))
        if gained:
            self.current = {**self.current, level: self.current.get(level, 0) + gained}
        return gained

    def restore_all(self) -> None:
        """A long rest: every slot back, pact slots too."""
        self.current = dict(self.maximum)
        self.pact_current = self.pact_maximum

    def restore_pact(self) -> None:
        """A short rest: pact slots back."""
        self.pact_current = self.pact_maximum

    @property
    def total_current(self) -> int:
        return sum(self.current.values()) + self.pact_current

    @property
    def total_maximum(self) -> int:
        return sum(self.maximum.values()) + self.pact_maximum


def slots_for(progression: str, level: int) -> SpellSlots:
    """Full spell slots for a caster progression (`full`, `half`, `pact`, `none`) at a class level.

    Raises:
        RulesError: unknown progression or level outside 1–20.
    """
    _check_level(level)
    if progression == "none":
        return SpellSlots()
    if progression == "pact":
        count, slot_level = PACT_MAGIC[level - 1]
        return SpellSlots(pact_level=slot_level, pact_maximum=count, pact_current=count)
    if progression == "full":
        row = FULL_CASTER_SLOTS[level - 1]
    elif progression == "half":
        row = HALF_CASTER_SLOTS[level - 1]
    else:
        raise RulesError(f"Unknown spellcasting progression {progression!r}.")
    table = {i + 1: n for i, n in enumerate(row)}
    return SpellSlots(maximum=table, current=dict(table))

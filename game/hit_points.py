"""One hit-point model for every creature: characters, monsters and NPCs alike (SRD 5.1 p. 96–99).

`HitPoints` is a frozen value — current, maximum, temporary, death saves, stable/dead — with the
rules as methods returning a new value and what happened:

    hp, hurt = creature.hit_points.take_damage(12, critical=True)
    hp, healed = hp.heal(7, ceiling=hit_point_maximum(max_hp, exhaustion))

Defenses (resistance, vulnerability, immunity) are applied before, by `game.damage.adjust_damage`;
what differs between a player character and a monster is data, not a type: `dies_at_zero` is True
for most monsters (SRD "Monsters and Death") and False for characters, who fall unconscious and make
death saving throws. `Character` and `Creature` both expose `hit_points` and `with_hit_points(...)`.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from game.errors import IllegalEffect

__all__ = ["DeathSaves", "HitPoints", "HitPointChange", "MAX_HIT_POINTS"]

MAX_HIT_POINTS: Final = 1000  # far above any level-20 character or SRD monster; guards absurd input


class DeathSaves(BaseModel):
    """Death saving throw tallies while at 0 hit points. `stable` once stabilised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    successes: int = Field(0, ge=0, le=3)
    failures: int = Field(0, ge=0, le=3)
    stable: bool = False


class HitPointChange(BaseModel):
    """What one change did; every number is exact (the engine's mechanics lines quote them)."""

    model_config = ConfigDict(frozen=True)

    before: int
    after: int
    temp_before: int
    temp_after: int
    damage: int = 0  # taken (after defenses), temporary hit points first
    regained: int = 0
    wasted: int = 0  # healing beyond the ceiling
    dropped_to_zero: bool = False
    knocked_out: bool = False
    instant_death: bool = False  # massive damage (SRD p. 97)
    death_save_failures: int = 0  # added by damage taken at 0 hit points
    revived: bool = False  # was at 0 and regained hit points
    died: bool = False


class HitPoints(BaseModel):
    """A creature's hit points. Invariant: 0 ≤ current ≤ maximum; the dead are at 0."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    current: int = Field(ge=0, le=MAX_HIT_POINTS)
    maximum: int = Field(ge=1, le=MAX_HIT_POINTS)
    temporary: int = Field(0, ge=0, le=MAX_HIT_POINTS)
    death_saves: DeathSaves = Field(default_factory=DeathSaves)
    dead: bool = False
    dies_at_zero: bool = False  # most monsters: no death saves

    @model_validator(mode="after")
    def _within_maximum(self) -> HitPoints:
        if self.current > self.maximum:
            raise ValueError(f"{self.current} hit points is above the maximum of {self.maximum}")
        return self

    @property
    def dying(self) -> bool:
        return not self.dead and self.current == 0 and not self.death_saves.stable and not self.dies_at_zero

    def take_damage(
        self, amount: int, *, critical: bool = False, knock_out: bool = False
    ) -> tuple[HitPoints, HitPointChange]:
        """Lose `amount` hit points (defenses already applied): temporary ones absorb first, then current.

        At 0 a creature that `dies_at_zero` dies (unless knocked out: unconscious and stable, SRD p. 98);
        a character falls unconscious, dies outright when the rest of the damage reaches its maximum,
        and damage taken while at 0 is a failed death save (two on a critical hit; three kill).

        Raises:
            IllegalEffect: negative damage, or the creature is already dead.
        """
        if amount < 0:
            raise IllegalEffect(f"Damage cannot be negative ({amount}).")
        if self.dead:
            raise IllegalEffect("The dead take no more damage.")
        absorbed = min(self.temporary, amount)
        rest = amount - absorbed
        after = max(0, self.current - rest)
        already_down = self.current == 0
        dropped = not already_down and after == 0
        overflow = rest - self.current if dropped else 0
        change = {"before": self.current, "after": after, "temp_before": self.temporary,
                  "temp_after": self.temporary - absorbed, "damage": amount, "dropped_to_zero": dropped}  # fmt: skip
        saves, dead = self.death_saves, False
        if dropped and knock_out:
            saves = DeathSaves(stable=True)
            change["knocked_out"] = True
        elif dropped and self.dies_at_zero:
            dead = True
        elif dropped:
            dead = overflow >= self.maximum
            change["instant_death"] = dead
            saves = DeathSaves()
        elif already_down and rest > 0:
            if rest >= self.maximum or self.dies_at_zero:
                dead = True
                change["instant_death"] = rest >= self.maximum
            else:
                failures = 2 if critical else 1
                change["death_save_failures"] = failures
                saves = DeathSaves(successes=saves.successes, failures=min(3, saves.failures + failures))
                dead = saves.failures >= 3
        change["died"] = dead
        new = self.model_copy(update={"current": after, "temporary": 0 if dead else self.temporary - absorbed,
                                      "death_saves": saves, "dead": dead})  # fmt: skip
        return new, HitPointChange(**change)

    def heal(self, amount: int, *, ceiling: int | None = None) -> tuple[HitPoints, HitPointChange]:
        """Regain hit points up to `ceiling` (the maximum, or less: exhaustion 4+ halves it). From 0, dying ends.

        Raises:
            IllegalEffect: negative healing, or the creature is dead (it needs magic that restores life).
        """
        if amount < 0:
            raise IllegalEffect(f"Healing cannot be negative ({amount}).")
        if self.dead:
            raise IllegalEffect("The dead can't regain hit points until magic restores them to life.")
        top = self.maximum if ceiling is None else max(0, min(self.maximum, ceiling))
        after = max(self.current, min(top, self.current + amount))
        regained = after - self.current
        revived = self.current == 0 and after > 0
        new = self.model_copy(update={"current": after, "death_saves": DeathSaves() if revived else self.death_saves})
        return new, HitPointChange(before=self.current, after=after, temp_before=self.temporary,
                                   temp_after=self.temporary, regained=regained, wasted=amount - regained,
                                   revived=revived)  # fmt: skip

    def grant_temporary(self, amount: int) -> HitPoints:
        """Temporary hit points don't stack: the higher of old and new is kept."""
        if amount < 0:
            raise IllegalEffect(f"Temporary hit points cannot be negative ({amount}).")
        return self.model_copy(update={"temporary": max(self.temporary, amount)})

    def with_maximum(self, maximum: int) -> HitPoints:
        """A new maximum; current hit points come down to it if above."""
        if not 1 <= maximum <= MAX_HIT_POINTS:
            raise IllegalEffect(f"A hit point maximum of {maximum} is not possible.")
        return self.model_copy(update={"maximum": maximum, "current": min(self.current, maximum)})

    def killed(self) -> HitPoints:
        return self.model_copy(update={"current": 0, "temporary": 0, "dead": True})

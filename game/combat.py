"""Initiative, turn order and rounds (SRD 5.1 "Combat": "The Order of Combat", "Initiative").

Every combatant rolls a Dexterity check (d20 + Dex modifier, plus any bonus) at the start;
the order runs from highest to lowest. Ties go to the higher Dexterity score, then to a d20
roll-off (repeated among those still tied). A combatant who joins mid-fight rolls the same way
and slots into the order; if they land before the current combatant they first act next round.

`Combat` is the mutable tracker: its list is private, handed out as a tuple, and changed only
through verbs (`add_combatant`, `remove_combatant`, `advance_turn`). `require_turn` is the single
"whose turn is it" check and raises `NotYourTurn`. `to_dict`/`from_dict` round-trip it through
`CombatState`, a frozen pydantic value that `validation.GameState` stores.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from game.abilities import ability_modifier, ability_name
from game.conditions import keeps_dodge
from game.dice import Advantage, d20_faces
from game.errors import NoCombatants, NotYourTurn, RulesError, UnknownCharacter

__all__ = [
    "Combat",
    "CombatState",
    "Combatant",
    "Entrant",
    "TurnAdvanced",
    "dodge_save_advantage",
    "is_dodging",
    "roll_initiative",
]

log = logging.getLogger(__name__)

_MAX_ROLL_OFFS: Final = 50  # a tie surviving 50 d20 roll-offs is broken by id (probability ~0)
MAX_COMBATANTS: Final = 100


class Combatant(BaseModel):
    """One entry in the initiative order. `tiebreak` holds roll-off d20s (empty unless a tie happened)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    initiative: int = Field(ge=-20, le=60)
    dexterity: int = Field(10, ge=1, le=30)
    tiebreak: tuple[int, ...] = ()
    is_player: bool = False

    def sort_key(self) -> tuple[int, int, tuple[int, ...]]:
        return (self.initiative, self.dexterity, self.tiebreak)


class Entrant(BaseModel):
    """Someone about to enter a fight: initiative is rolled for them unless given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    dexterity: int = Field(10, ge=1, le=30)
    initiative: int | None = Field(None, ge=-20, le=60)
    initiative_bonus: int = Field(0, ge=-10, le=20)
    initiative_advantage: Advantage = Advantage.NONE  # e.g. disadvantage when poisoned or exhausted
    is_player: bool = False
    initiative_lucky: bool = False  # a halfling rerolls a natural 1 (Lucky)


class TurnAdvanced(BaseModel):
    """What `advance_turn` did: whose turn it is now, in which round, and whether a round began."""

    model_config = ConfigDict(frozen=True)

    round: int
    current: str  # combatant id
    current_name: str
    previous: str | None
    new_round: bool


class CombatState(BaseModel):
    """The serialisable state of a fight: the order (already sorted), the round and whose turn it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    combatants: tuple[Combatant, ...] = ()
    round: int = Field(1, ge=1)
    turn_index: int = Field(0, ge=0)
    # "<id>:<feature>" for once-a-turn features used this turn (Divine Strike, Colossus Slayer). `Combat.state()`
    # rebuilds the state without it, so every turn change (TurnAdvance) starts a fresh turn.
    once_per_turn: tuple[str, ...] = ()
    # combatants who took the Dodge action; each one's ends when its next turn starts (SRD p. 92)
    dodging: tuple[str, ...] = ()


def is_dodging(combat: CombatState | None, combatant_id: str) -> bool:
    """`combatant_id` took the Dodge action and their next turn has not started yet."""
    return combat is not None and combatant_id in combat.dodging


def dodge_save_advantage(dodging: bool, ability: str, conditions: Iterable[str] = (),
                         exhaustion: int = 0) -> tuple[Advantage, ...]:  # fmt: skip
    """(ADVANTAGE,) for a Dexterity saving throw of a combatant who is dodging (`is_dodging`) and keeps the
    benefit (not incapacitated, speed above 0); () otherwise. For `save_roll_modifier`'s `circumstances`."""
    if not dodging or ability_name(ability) != "dexterity":
        return ()
    return (Advantage.ADVANTAGE,) if keeps_dodge(conditions, exhaustion) else ()


def roll_initiative(
    dexterity: int,
    rng: random.Random | None = None,
    bonus: int = 0,
    *,
    advantage: Advantage = Advantage.NONE,
    lucky: bool = False,
) -> int:
    """d20 + Dexterity modifier (+ bonus, e.g. a feature). Initiative is a Dexterity check (SRD p. 90), so
    what gives disadvantage on ability checks (exhaustion 1+, poisoned, frightened) applies: two d20s, the
    lower (or, with advantage, the higher) counts."""
    faces = d20_faces(advantage, lucky=lucky, rng=rng or random)[1]  # Lucky: a natural 1 is rerolled
    d20 = max(faces) if advantage is Advantage.ADVANTAGE else min(faces)
    return d20 + ability_modifier(dexterity) + bonus


def _tied(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Two roll-off histories are undecided if one is a prefix of the other (incl. both empty)."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


class Combat:
    """The initiative tracker for one fight.

    Raises (from its verbs): `NoCombatants`, `NotYourTurn`, `UnknownCharacter`, `RulesError`.
    """

    def __init__(
        self,
        combatants: Iterable[Combatant] = (),
        *,
        round: int = 1,  # noqa: A002 - the SRD's word
        turn_index: int = 0,
        rng: random.Random | None = None,
        dodging: Iterable[str] = (),
    ) -> None:
        self._rng = rng or random.Random()
        self._combatants: list[Combatant] = []
        self._dodging: list[str] = list(dict.fromkeys(dodging))
        self._round = round
        self._index = 0
        for combatant in combatants:
            if self.get(combatant.id) is not None:
                raise RulesError(f"{combatant.name} is already in the initiative order.")
            self._combatants.append(combatant)
        if self._combatants and not 0 <= turn_index < len(self._combatants):
            raise RulesError(f"Turn {turn_index} does not exist in an order of {len(self._combatants)}.")
        current = self._combatants[turn_index] if self._combatants else None
        self._settle_ties()
        self._resort(current)  # settling an unrolled tie may reorder: the turn stays with the same combatant

    @classmethod
    def start(cls, entrants: Iterable[Entrant], rng: random.Random | None = None) -> Combat:
        """Begin a fight: roll initiative for each entrant (unless given), round 1, highest goes first.

        Raises:
            NoCombatants: no entrants.
            RulesError: the same id twice, or more than `MAX_COMBATANTS`.
        """
        combat = cls(rng=rng)
        for e in entrants:
            combat.add_combatant(
                e.id,
                e.name,
                dexterity=e.dexterity,
                initiative=e.initiative,
                initiative_bonus=e.initiative_bonus,
                advantage=e.initiative_advantage,
                is_player=e.is_player,
                lucky=e.initiative_lucky,
            )
        if not combat._combatants:
            raise NoCombatants("A fight needs at least one combatant.")
        combat._index = 0
        return combat

    # -- reading -------------------------------------------------------------------------------

    @property
    def combatants(self) -> tuple[Combatant, ...]:
        """Everyone in initiative order, highest first."""
        return tuple(self._combatants)

    @property
    def round(self) -> int:
        return self._round

    @property
    def turn_index(self) -> int:
        return self._index

    @property
    def current(self) -> Combatant | None:
        """Whose turn it is (None when nobody is in the order)."""
        return self._combatants[self._index] if self._combatants else None

    def get(self, combatant_id: str) -> Combatant | None:
        return next((c for c in self._combatants if c.id == combatant_id), None)

    def __len__(self) -> int:
        return len(self._combatants)

    def __contains__(self, combatant_id: object) -> bool:
        return any(c.id == combatant_id for c in self._combatants)

    def require_turn(self, actor_id: str) -> Combatant:
        """The current combatant if it is `actor_id`.

        Raises:
            NoCombatants: nobody is in the order.
            NotYourTurn: someone else is up.
        """
        current = self.current
        if current is None:
            raise NoCombatants()
        if current.id != actor_id:
            actor = self.get(actor_id)
            raise NotYourTurn(actor.name if actor else actor_id, current.name)
        return current

    # -- verbs ---------------------------------------------------------------------------------

    def add_combatant(
        self,
        combatant_id: str,
        name: str,
        *,
        dexterity: int = 10,
        initiative: int | None = None,
        initiative_bonus: int = 0,
        is_player: bool = False,
        advantage: Advantage = Advantage.NONE,
        lucky: bool = False,
    ) -> Combatant:
        """Add someone to the order, rolling initiative unless `initiative` is given.

        The current combatant keeps the turn; a newcomer placed before them first acts next round.

        Raises:
            RulesError: the id is already in the order, the order is full, or a value is out of range.
        """
        if combatant_id in self:
            raise RulesError(f"{name} is already in the initiative order.")
        if len(self._combatants) >= MAX_COMBATANTS:
            raise RulesError(f"A fight can hold at most {MAX_COMBATANTS} combatants.")
        if initiative is None:
            initiative = roll_initiative(dexterity, self._rng, initiative_bonus, advantage=advantage, lucky=lucky)
        try:
            combatant = Combatant(
                id=combatant_id, name=name, initiative=initiative, dexterity=dexterity, is_player=is_player
            )
        except ValidationError as err:
            raise RulesError(f"{name} cannot join the fight: {err.errors()[0]['msg']}.") from None
        current = self.current
        self._combatants.append(combatant)
        self._settle_ties()
        self._resort(current)
        log.debug("combatant %s joined with initiative %d", combatant_id, initiative)
        return self.get(combatant_id)  # type: ignore[return-value]  # re-read: tiebreak may be set

    def remove_combatant(self, combatant_id: str) -> Combatant:
        """Take someone out of the order (fled, died, left).

        If it was their turn, the turn passes to the next in order (a new round if they were last).

        Raises:
            UnknownCharacter: nobody with that id is in the order.
        """
        position = next((i for i, c in enumerate(self._combatants) if c.id == combatant_id), None)
        if position is None:
            raise UnknownCharacter(combatant_id)
        removed = self._combatants.pop(position)
        if position < self._index:
            self._index -= 1
        elif position == self._index and self._index >= len(self._combatants):
            self._index = 0
            if self._combatants:
                self._round += 1
        return removed

    @property
    def dodging(self) -> tuple[str, ...]:
        return tuple(d for d in self._dodging if self.get(d) is not None)

    def dodge(self, actor_id: str) -> Combatant:
        """`actor_id` takes the Dodge action on their turn: attacks against them have disadvantage (and their
        Dexterity saves advantage) until their next turn starts.

        Raises:
            NotYourTurn / UnknownCharacter / NoCombatants: as `require_turn`.
        """
        actor = self.require_turn(actor_id)
        if actor.id not in self._dodging:
            self._dodging.append(actor.id)
        return actor

    def advance_turn(self) -> TurnAdvanced:
        """End the current turn; the next combatant is up (after the last: round + 1, the first again).

        Raises:
            NoCombatants: nobody is in the order.
        """
        if not self._combatants:
            raise NoCombatants()
        previous = self._combatants[self._index].id
        self._index += 1
        new_round = self._index >= len(self._combatants)
        if new_round:
            self._index = 0
            self._round += 1
        current = self._combatants[self._index]
        self._dodging = [d for d in self._dodging if d != current.id]  # its turn starts: the Dodge ends
        return TurnAdvanced(
            round=self._round, current=current.id, current_name=current.name, previous=previous, new_round=new_round
        )

    # -- serialisation -------------------------------------------------------------------------

    def state(self) -> CombatState:
        return CombatState(combatants=self.combatants, round=self._round, turn_index=self._index,
                           dodging=self.dodging)

    def to_dict(self) -> dict[str, Any]:
        return self.state().model_dump(mode="json")

    @classmethod
    def from_state(cls, state: CombatState, rng: random.Random | None = None) -> Combat:
        return cls(state.combatants, round=state.round, turn_index=state.turn_index, rng=rng, dodging=state.dodging)

    @classmethod
    def from_dict(cls, data: dict[str, Any], rng: random.Random | None = None) -> Combat:
        return cls.from_state(CombatState.model_validate(data), rng)

    # -- internals -----------------------------------------------------------------------------

    def _resort(self, keep_current: Combatant | None) -> None:
        self._combatants.sort(key=Combatant.sort_key, reverse=True)
        if keep_current is not None:
            self._index = next(i for i, c in enumerate(self._combatants) if c.id == keep_current.id)

    def _settle_ties(self) -> None:
        """Roll d20s for combatants tied on initiative and Dexterity until every tie is broken."""
        for _ in range(_MAX_ROLL_OFFS):
            need_roll: set[int] = set()
            for i, a in enumerate(self._combatants):
                for j in range(i + 1, len(self._combatants)):
                    b = self._combatants[j]
                    if (a.initiative, a.dexterity) == (b.initiative, b.dexterity) and _tied(a.tiebreak, b.tiebreak):
                        # the shorter history (or both, if equal) rolls again
                        if len(a.tiebreak) <= len(b.tiebreak):
                            need_roll.add(i)
                        if len(b.tiebreak) <= len(a.tiebreak):
                            need_roll.add(j)
            if not need_roll:
                return
            for i in need_roll:
                c = self._combatants[i]
                self._combatants[i] = c.model_copy(update={"tiebreak": (*c.tiebreak, self._rng.randint(1, 20))})
        # still tied after 50 roll-offs (probability ~0): the stable sort keeps joining order

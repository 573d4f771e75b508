"""The combat gate: in a fight, who may act now, what a message is, and the clocks that keep play moving.

    gate = decide(state, author_id, text)        # GateDecision: talk, command, action, question or deny
    denial_text(state, author_id)                # the polite in-world "not your turn" line with the order
    clock = TurnClock(timeout_s=180.0)           # nudge after timeout_s, then Dodge and pass after as long again
    state, entries = pass_turn(state, actor_id)  # the engine's TurnAdvance, when it is still actor's turn

Pure: no I/O, no model. The session (dm/session.py) asks `decide` for every message in a fight and
acts on the answer through `dm.combat_turns` (the DM turns, the denial's record, the creature's turn).

A message in combat is a question when every sentence of it asks something: it ends with "?" or
starts with a question word ("what", "can", "is", ...). A question (rules, the scene, one's own
character) is answered by anyone at any time, uses no turn and changes nothing. Anything else is an
action: the player whose character holds the current turn acts (a DM turn at once, after which the
turn passes), anyone else is denied at once with whose turn it is and the order, and no model is
asked. `!` commands are the table's: their registry flag `out_of_turn` decides (dm/table.py checks it).

Who advances the turn after an action: the engine. The DM turn that resolves the current player's
action passes their turn in the same transaction (`pass_turn`), unless the reply's own effects already
did (a `turn_advance` proposed by the model) or the fight ended; so a model that forgets the turn never
stalls the table, and one that remembers it never passes two turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from game.effects import GameState, TurnAdvance
from game.validation import apply_effects

__all__ = ["ClockEvent", "GateDecision", "MessageKind", "RecapClock", "Turn", "TurnClock", "classify", "decide",
           "denial_text", "dodge_text", "is_question", "nudge_text", "order_text", "pass_turn", "turn_key",
           "whose_turn"]  # fmt: skip

QUESTION_WORDS = frozenset(
    "what who whom whose where when why how which is are am was were do does did can could might should would "
    "isn't aren't don't doesn't didn't can't couldn't shouldn't wouldn't".split()
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_WORD = re.compile(r"[a-z']+")


class MessageKind(StrEnum):
    TALK = "talk"  # no fight: plain talk joins the batch
    COMMAND = "command"  # a `!` command: the table runs it (and checks out_of_turn)
    ACTION = "action"  # the current player's action: a DM turn at once, then the turn passes
    QUESTION = "question"  # answered at once, no turn used, nothing changed
    DENY = "deny"  # someone else's action: denied at once, no model call


@dataclass(frozen=True)
class Turn:
    """Whose turn it is: the combatant's id and name, and the player who plays them (None: a creature/NPC)."""

    id: str
    name: str
    player_id: int | None
    round: int
    index: int

    @property
    def is_creature(self) -> bool:
        return self.player_id is None


@dataclass(frozen=True)
class GateDecision:
    kind: MessageKind
    turn: Turn | None = None  # the current turn (None out of combat)
    actor: str | None = None  # the author's combatant id, when they have one in the fight


def is_question(text: str) -> bool:
    """Every sentence asks something: it ends with "?" or starts with a question word."""
    sentences = [s.strip() for s in _SENTENCE.findall(text.strip()) if s.strip(" .!?\t\n")]
    if not sentences:
        return False
    return all(_asks(s) for s in sentences)


def _asks(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    words = _WORD.findall(sentence.lower().replace("’", "'"))
    return bool(words) and words[0] in QUESTION_WORDS


def whose_turn(state: GameState | None) -> Turn | None:
    """The combatant whose turn it is (None: no fight going on)."""
    combat = state.combat if state is not None else None
    if combat is None or not combat.combatants:
        return None
    index = min(combat.turn_index, len(combat.combatants) - 1)
    current = combat.combatants[index]
    who = state.characters.get(current.id) if state is not None else None
    return Turn(current.id, current.name, who.player_id if who is not None else None, combat.round, index)


def turn_key(state: GameState | None) -> tuple[int, int, str] | None:
    """(round, index, combatant id): it changes exactly when the turn passes."""
    turn = whose_turn(state)
    return None if turn is None else (turn.round, turn.index, turn.id)


def classify(text: str) -> MessageKind:
    """A message's kind in a fight, before whose turn it is counts: command, question or action."""
    stripped = text.strip()
    if stripped.startswith("!"):
        return MessageKind.COMMAND
    return MessageKind.QUESTION if is_question(stripped) else MessageKind.ACTION


def decide(state: GameState | None, author_id: int, text: str) -> GateDecision:
    """What the session does with a message from `author_id` (see the module docstring)."""
    turn = whose_turn(state)
    kind = classify(text)
    if kind is MessageKind.COMMAND:
        return GateDecision(kind, turn)
    if turn is None or state is None:
        return GateDecision(MessageKind.TALK)
    mine = _combatant_of(state, author_id)
    if kind is MessageKind.QUESTION:
        return GateDecision(kind, turn, mine)
    if mine is not None and mine == turn.id:
        return GateDecision(MessageKind.ACTION, turn, mine)
    return GateDecision(MessageKind.DENY, turn, mine)


def _combatant_of(state: GameState, author_id: int) -> str | None:
    """The author's character in the fight (the living one first), if they have one there."""
    fighting = {c.id for c in state.combat.combatants} if state.combat else set()
    mine = [(cid, c) for cid, c in state.characters.items() if c.player_id == author_id and cid in fighting]
    mine.sort(key=lambda pair: pair[1].dead)
    return mine[0][0] if mine else None


# --- what the table says -------------------------------------------------------------------------------


def order_text(state: GameState) -> str:
    """ "Goblin (15), Brakka (12), Mira (8)", the one whose turn it is marked, the fallen marked."""
    combat = state.combat
    if combat is None:
        return ""
    parts = []
    for i, c in enumerate(combat.combatants):
        who = state.characters.get(c.id) or state.creatures.get(c.id)
        mark = " (down)" if who is not None and who.dead else ""
        now = " ← now" if i == combat.turn_index else ""
        parts.append(f"{c.name} ({c.initiative}){mark}{now}")
    return ", ".join(parts)


def denial_text(state: GameState, author_id: int, author_name: str = "") -> str:
    """The polite in-world line for an action out of turn: whose turn it is and the order; nothing changed."""
    turn = whose_turn(state)
    if turn is None:
        return ""
    mine = _combatant_of(state, author_id)
    me = state.characters[mine].name if mine else (author_name or "Friend")
    if mine is None:
        opening = f"{me}, the fight is in full swing and you have no one in it"
    else:
        opening = f"Hold, {me}: the moment belongs to {turn.name}"
    return (f"{opening}; it is {turn.name}'s turn (round {turn.round}). The order: {order_text(state)}. "
            "Nothing happened yet: act on your turn, or ask a question any time.")  # fmt: skip


def nudge_text(turn: Turn, mention: str = "") -> str:
    who = f"{mention} " if mention else ""
    return (f"{who}The fight holds its breath, waiting on {turn.name}. What does {turn.name} do? (If no word "
            f"comes, {turn.name} takes the Dodge action and the turn passes.)")  # fmt: skip


def dodge_text(name: str, next_name: str) -> str:
    return f"{name} hangs back and takes the Dodge action, watching for the next blow. It is {next_name}'s turn."


# --- the engine's turn pass ----------------------------------------------------------------------------------


def pass_turn(state: GameState, actor: str) -> tuple[GameState, list[dict[str, Any]]]:
    """End `actor`'s turn through the rules engine (`TurnAdvance`) if it is still theirs; otherwise (the turn
    already passed, the fight is over) nothing changes. Returns (state, applied entries)."""
    turn = whose_turn(state)
    if turn is None or turn.id != actor:
        return state, []
    after, (outcome,) = apply_effects(state, [TurnAdvance(actor=actor)])
    if not outcome.accepted:
        return state, []
    return after, [{"kind": outcome.kind, "target": actor, "summary": outcome.summary, "accepted": True,
                    "by": "engine"}]  # fmt: skip


# --- clocks ----------------------------------------------------------------------------------------------


class ClockEvent(StrEnum):
    NUDGE = "nudge"
    DODGE = "dodge"


@dataclass
class TurnClock:
    """A player's combat turn clock: after `timeout_s` a nudge, after as long again the Dodge and the pass.

    A creature's turn has no clock (the DM takes it at once). The clock restarts whenever the turn passes
    and whenever the current player says anything (`touch`): a player who is there is not absent.
    """

    timeout_s: float
    key: tuple[int, int, str] | None = None
    started: float = 0.0
    nudged: bool = False
    dodged: bool = False

    def check(self, state: GameState | None, now: float) -> ClockEvent | None:
        """The event due now, if any (each at most once per turn)."""
        turn = whose_turn(state)
        key = turn_key(state)
        if key != self.key:
            self.key, self.started, self.nudged, self.dodged = key, now, False, False
        if turn is None or turn.is_creature or self.dodged or self.timeout_s <= 0:
            return None
        waited = now - self.started
        if not self.nudged and waited >= self.timeout_s:
            self.nudged = True
            return ClockEvent.NUDGE
        if self.nudged and waited >= 2 * self.timeout_s:
            self.dodged = True
            return ClockEvent.DODGE
        return None

    def touch(self, state: GameState | None, author_id: int, now: float) -> None:
        """The current player spoke: their clock starts again (a nudge may come again later)."""
        turn = whose_turn(state)
        if turn is not None and turn.player_id == author_id and turn_key(state) == self.key:
            self.started, self.nudged = now, False


@dataclass
class RecapClock:
    """When a player was last seen, to greet one back after a long gap with a "previously on" recap."""

    gap_s: float
    seen: dict[int, float] = field(default_factory=dict)

    def returning(self, author_id: int, now: float) -> bool:
        """True when `author_id` was seen before, more than `gap_s` ago (and remembers them as seen now)."""
        last = self.seen.get(author_id)
        self.seen[author_id] = now
        return last is not None and self.gap_s > 0 and now - last >= self.gap_s

"""The combat gate at work in a session: denials, questions, actions, the creatures' turns and the turn clocks.

    session.gate = CombatGate(turn_timeout_s=180, recap_after_s=6 * 3600)   # dm/session.py does this
    replies = await gate.talk(session, message, state)    # in a fight: what is answered at once
    await gate.tick(session, now)                         # the creatures' turns and the turn clocks
    await gate.returning(session, message, state)         # "previously on" for a player back after a gap

What `dm.combat_gate.decide` says, this module does:

- someone else's action: denied at once with whose turn it is and the order (`denial_text`); no model call;
  the message is marked answered with the denial (a redelivery replays it);
- a question, from anyone: a question-mode DM turn (`DMTurn.narrate(..., question=True)`): it answers,
  proposes nothing that is applied, rolls nothing that changes state, and uses no turn;
- the current player's action: a DM turn at once (`narrate(..., advance=actor)`), after which the engine
  passes the turn in the same transaction (unless the reply's own `turn_advance` did);
- a creature's or NPC's turn: the DM takes it at once. The model picks the action (the turn's prompt
  names the creature and the party standing), the engine rolls and applies it (`dm.actions`: the stat
  block's attack); with no usable model (a reader-tier one, an error, or only refused actions) the
  engine picks the creature's first attack against a living character, so play never stalls; then the
  turn passes (`pass_turn`) and play moves on to the next player;
- turn clocks: after `turn_timeout_s` the absent player is nudged; after as long again their character
  takes the Dodge action and the turn passes (the owner's `!skip` passes it any time).

The Dodge goes through the rules engine (`game.effects.Dodge`): until the character's next turn starts, attacks
against them have disadvantage and their Dexterity saves advantage (`game.combat.is_dodging`).
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dm.combat_gate import (ClockEvent, MessageKind, RecapClock, Turn, TurnClock, decide, denial_text, dodge_text,
                            nudge_text, pass_turn, whose_turn)
from dm.commands.results import Refusal
from dm.context import ChatLine
from dm.errors import MalformedReply
from dm.history import history_of, recap
from dm.reply import ParsedReply, RollRequest
from dm.rolls import engine_rolls
from dm.tiers import READER, planned_tier
from dm.turn import Thought, settle
from game.effects import Dodge, GameState
from game.validation import apply_effects
from inference.errors import InferenceError
from persistence.errors import DuplicateMessage, StaleState
from persistence.interfaces import TurnRecord

if TYPE_CHECKING:
    from dm.table import PlayerMessage, Table, TableReply, TurnView

__all__ = ["CombatGate", "creature_turn", "dodge_turn", "deny"]

log = logging.getLogger(__name__)

RELOAD_S = 5.0  # a tick reads the state from the database at most this often while the table has it uncached
MAX_CREATURE_TURNS = 20  # creature turns in a row before play waits for the next tick (a fight of monsters only)


class CombatGate:
    """The session's combat hook (`Session.gate`); see the module docstring."""

    def __init__(self, *, turn_timeout_s: float, recap_after_s: float) -> None:
        self.clock = TurnClock(turn_timeout_s)
        self.recaps = RecapClock(recap_after_s)
        self.busy = False  # a creature's turn or a clock's pass is being taken (ticks do not start another)
        self.loaded_at = float("-inf")  # when a tick last read the state from the database (the table's cache empty)

    async def talk(self, session: Any, message: PlayerMessage, state: GameState) -> list[TableReply]:
        """A plain message in a fight: denied, answered as a question, or resolved as the current player's action."""
        table: Table = session.table
        first: list[TableReply] = []
        turn = whose_turn(state)
        if turn is not None and turn.is_creature:  # a creature's turn not taken yet (a command passed it): now
            first = await self.creatures(session)
            state = await table.load_state(message.channel_id) or state
        self.clock.touch(state, message.author_id, session.clock.now())
        gate = decide(state, message.author_id, message.text)
        if gate.kind is MessageKind.DENY:
            return first + await deny(table, message, state)
        if gate.kind is MessageKind.QUESTION:
            return first + await session.answer([message], question=True)
        fresh = await table.load_state(message.channel_id)  # a turn may have passed while this waited
        again = decide(fresh, message.author_id, message.text) if fresh is not None else gate
        if again.kind is MessageKind.DENY:
            return first + await deny(table, message, fresh or state)
        if again.kind is not MessageKind.ACTION or again.actor is None:
            return first + await session.answer([message], question=again.kind is MessageKind.QUESTION)
        replies = first + await session.answer([message], advance=again.actor) + await self.creatures(session)
        self.clock.check(table.state_of(message.channel_id), session.clock.now())  # the next player's clock starts
        return replies

    async def tick(self, session: Any, now: float) -> None:
        """The creatures' turns, then the current player's clock (nudge, then Dodge and the pass)."""
        if self.busy:
            return
        table: Table = session.table
        state = table.state_of(session.channel_id)
        if state is None and now - self.loaded_at >= RELOAD_S:  # a fresh or restarted session: a fight may be on
            self.loaded_at = now
            state = await table.load_state(session.channel_id)
        if state is None or whose_turn(state) is None:
            self.clock.check(state, now)
            return
        turn = whose_turn(state)
        replies = await self.creatures(session) if turn is not None and turn.is_creature else []
        state = table.state_of(session.channel_id)
        event = self.clock.check(state, now)
        turn = whose_turn(state)
        if event is ClockEvent.NUDGE and turn is not None:
            replies.append(_narrative(nudge_text(turn, await _player_name(table, session.channel_id, turn))))
        elif event is ClockEvent.DODGE and turn is not None:
            replies += await self._exclusive(session, lambda: dodge_turn(table, session.channel_id, turn.id))
            replies += await self.creatures(session)
        if replies:
            await session.send(replies)

    async def creatures(self, session: Any) -> list[TableReply]:
        """Take every creature's turn that is due now, in order, until a player's turn comes. A table with no
        DM at it (no narrator: commands only) leaves the creatures to the owner (`!skip`, commands)."""
        table: Table = session.table
        out: list[TableReply] = []
        if table.narrator is None:
            return out
        for _ in range(MAX_CREATURE_TURNS):
            state = await table.load_state(session.channel_id)
            turn = whose_turn(state)
            if turn is None or not turn.is_creature:
                break
            done = await self._exclusive(session, lambda t=turn: creature_turn(table, session.channel_id, t.id))
            if not done:  # another save came first or the turn moved: the next tick looks again
                break
            out += done
        return out

    async def _exclusive(self, session: Any, work: Any) -> list[TableReply]:
        """Run a DM turn of the gate's own under the session's one-turn-in-flight lock."""
        self.busy = True
        try:
            async with session.turn_lock:
                replies: list[TableReply] = await work()
                session.turns += 1
                return replies
        finally:
            self.busy = False

    async def seed(self, session: Any) -> None:
        """A (re)started session's recap clock: when each player last spoke, from the database (a player away
        since before the restart is still greeted with a recap)."""
        read = getattr(session.table.messages, "last_seen", None)
        if read is None:
            return
        wall, now = datetime.now(UTC), session.clock.now()
        for author_id, at in (await read(session.channel_id)).items():
            ago = max(0.0, (wall - (at if at.tzinfo else at.replace(tzinfo=UTC))).total_seconds())
            self.recaps.seen.setdefault(author_id, now - ago)

    async def returning(self, session: Any, message: PlayerMessage, state: GameState | None) -> None:
        """A player back after `recap_after_s` out of combat gets a "previously on" recap (sent at once)."""
        if not self.recaps.returning(message.author_id, session.clock.now()):
            return
        if state is None or whose_turn(state) is not None:
            return
        line = await recap_line(session.table, session.channel_id, message.author_name)
        if line is not None:
            await session.send([line])


# --- one message ---------------------------------------------------------------------------------------------


async def deny(table: Table, message: PlayerMessage, state: GameState) -> list[TableReply]:
    """The polite denial of an action out of turn, recorded as the message's answer; no model call."""
    from dm.table import TableReply

    refusal = Refusal(command="", reason=denial_text(state, message.author_id, message.author_name),
                      error="NotYourTurn", denial=True)  # fmt: skip
    view = await table.turn_view(message.channel_id)
    try:
        await table.messages_processed(message, view.campaign if view else None, refusal)
    except DuplicateMessage:  # answered meanwhile (another worker): nothing more to say
        return []
    return [TableReply(refusal.reply_kind, refusal)]


async def recap_line(table: Table, channel_id: int, who: str) -> TableReply | None:
    """ "Previously on..." for `who`, from the model or the stored story (None: no story yet)."""
    view = await table.turn_view(channel_id)
    store = history_of(table.messages)
    if view is None or store is None:
        return None
    backend = getattr(table.narrator, "backend", None)
    told = await recap(backend, store, view.campaign.id, view.state,
                       reader=getattr(table.narrator, "reader_backends", ()))  # fmt: skip
    if not told.text:
        return None
    return _narrative(f"Welcome back, {who}. Previously on {view.campaign.name}: {told.text}")


# --- a creature's turn -----------------------------------------------------------------------------------------


async def creature_turn(table: Table, channel_id: int, creature_id: str) -> list[TableReply]:
    """The DM takes `creature_id`'s turn now (see the module docstring); [] when it is no longer theirs or the
    save met a newer state (the caller looks again)."""
    for _ in range(2):
        view = await table.turn_view(channel_id)
        turn = whose_turn(view.state) if view is not None else None
        if view is None or turn is None or turn.id != creature_id or not turn.is_creature:
            return []
        seed = None if table.seed is None else table.seed + turn.round * 1000 + turn.index
        thought = await _model_pick(table, view, turn, seed)
        if thought is None:
            thought = await _engine_pick(table, view.state, turn, seed)
        settled = settle(view.state, thought, rng=random.Random(seed))
        after, passed = pass_turn(settled.state, turn.id)
        text = "\n".join([settled.text, *(e["summary"] for e in passed)])
        record = _record(thought, text, [*settled.applied, *passed, *settled.refused], view.state, "creature")
        try:
            await table.save_turn(channel_id, view, after, turn=record, message_ids=[])
        except StaleState:
            continue
        return [_narrative(text, applied=[*settled.applied, *passed], refused=settled.refused)]
    return []


def _creature_prompt(state: GameState, turn: Turn) -> str:
    fighting = {c.id for c in state.combat.combatants} if state.combat else set()
    standing = [c.name for cid, c in state.characters.items() if cid in fighting and not c.dead and c.hp > 0]
    return (f"It is {turn.name}'s turn in the fight (round {turn.round}); no player acts now. As the DM, take "
            f"{turn.name}'s turn: pick its action and ask for it as a roll (kind attack, who {turn.name!r}, a "
            f"target among {', '.join(standing) or 'the party'}), or another fitting action, and narrate it. "
            "Do not end the turn yourself: the engine passes it.")  # fmt: skip


async def _model_pick(table: Table, view: TurnView, turn: Turn, seed: int | None) -> Thought | None:
    """The model's choice for the creature, resolved by the engine; None when no usable model answered."""
    narrator = table.narrator
    if narrator is None or not hasattr(narrator, "think"):
        return None
    backend = getattr(narrator, "backend", None)
    if backend is None or planned_tier(backend, reader=getattr(narrator, "reader_backends", ())) == READER:
        return None  # a small model reads the module; it does not run monsters
    line = ChatLine(author="(the initiative order)", character=None, text=_creature_prompt(view.state, turn))
    try:
        thought: Thought = await narrator.think(
            view.state, [line], rules=table.rules, campaign_id=view.campaign.id, campaign=view.campaign.name,
            players=view.players, seed=seed, history=getattr(narrator, "history", None) or history_of(table.messages),
        )  # fmt: skip
    except (InferenceError, MalformedReply) as exc:
        log.warning("the model could not take %s's turn (%s); the engine picks", turn.name, exc)
        return None
    if (thought.raw or {}).get("tier") == READER:
        return None
    acted = [r for r in thought.rolls if r.label in ("attack", "spell") or r.line or r.refused]
    if acted and all(r.refused for r in acted):  # it asked for actions and none could happen
        return None
    return thought


async def _engine_pick(table: Table, state: GameState, turn: Turn, seed: int | None) -> Thought:
    """The creature's first stat-block attack against the first living character in the order."""
    target = _first_standing(state)
    if target is None:
        return Thought(final=ParsedReply(narrative=f"{turn.name} finds no one left to strike."), prompt=[],
                       raw=None, backend="engine")  # fmt: skip
    request = RollRequest(who=turn.id, kind="attack", target=target[0], reason="the engine's pick")
    rolls, done = await engine_rolls(state, [request], rules=table.rules, seed=seed)
    narrative = f"{turn.name} lunges at {target[1]}."
    return Thought(final=ParsedReply(narrative=narrative), prompt=[], raw=None, rolls=rolls, engine=done,
                   backend="engine")  # fmt: skip


def _first_standing(state: GameState) -> tuple[str, str] | None:
    combat = state.combat
    for c in combat.combatants if combat is not None else ():
        who = state.characters.get(c.id)
        if who is not None and not who.dead and who.hp > 0:
            return c.id, who.name
    return None


# --- an absent player's turn ---------------------------------------------------------------------------------


async def dodge_turn(table: Table, channel_id: int, actor: str) -> list[TableReply]:
    """`actor` takes the Dodge action and their turn passes (the turn clock ran out); [] if it passed already."""
    for _ in range(2):
        view = await table.turn_view(channel_id)
        turn = whose_turn(view.state) if view is not None else None
        if view is None or turn is None or turn.id != actor:
            return []
        dodged, (outcome,) = apply_effects(view.state, [Dodge(actor=actor)])  # refused when incapacitated
        after, passed = pass_turn(dodged if outcome.accepted else view.state, actor)
        following = whose_turn(after)
        text = dodge_text(turn.name, following.name if following else "nobody")
        entries = [{"kind": "dodge", "target": actor, "summary": outcome.summary if outcome.accepted else
                    (outcome.reason or outcome.summary), "accepted": outcome.accepted, "by": "engine"},
                   *passed]  # fmt: skip
        thought = Thought(final=ParsedReply(narrative=text), prompt=[], raw=None, backend="engine")
        try:
            await table.save_turn(channel_id, view, after, turn=_record(thought, text, entries, view.state, "dodge"),
                                  message_ids=[])  # fmt: skip
        except StaleState:
            continue
        return [_narrative(text, applied=entries)]
    return []


# --- helpers ---------------------------------------------------------------------------------------------------


async def _player_name(table: Table, channel_id: int, turn: Turn) -> str:
    view = await table.turn_view(channel_id)
    return (view.players.get(turn.player_id, "") if view is not None and turn.player_id is not None else "")


def _record(thought: Thought, text: str, effects: list[dict[str, Any]], before: GameState, driver: str) -> TurnRecord:
    return TurnRecord(
        prompt=[dict(m) for m in thought.prompt], reply_text=text, backend=thought.backend or "engine",
        model=thought.model, reply=thought.raw,
        context={"driver": driver, "rolls": [r.to_dict() for r in thought.rolls], "generations": thought.generations,
                 "state_before": before.to_dict()},
        effects=list(effects), prompt_tokens=thought.prompt_tokens, completion_tokens=thought.completion_tokens,
        latency_ms=thought.latency_ms,
    )  # fmt: skip


def _public(entries: Any) -> tuple[dict[str, Any], ...]:
    return tuple({"kind": e["kind"], "target": e["target"], "summary": e["summary"]} for e in entries)


def _narrative(text: str, *, applied: Any = (), refused: Any = ()) -> TableReply:
    from dm.table import TableReply

    return TableReply("narrative", text=text, applied=_public(applied), refused=_public(refused))

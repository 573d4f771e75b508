"""The session: one campaign channel's intake, batching and DM-turn pacing, as a plain class.

The console runs it in-process; `actors.session.SessionActor` hosts it on Ray. Per message:

- recorded (pending) before anything else; an exact redelivery (a message id seen before) is dropped;
- commands (and a guided-creation answer) run at once through the table and their replies are returned;
- plain talk out of combat joins the open batch (`receive` returns []): the batch closes after
  `batch_window_s` of quiet, early when every active player (has a character, spoke in the last
  `active_window_s`) has spoken, and at the latest `batch_cap_s` after it opened; one DM turn answers it
  (messages in Discord-id order) and its replies go out through `send`;
- in combat the combat gate decides (`_combat_talk`, the hook `dm.combat_gate` plugs into);
- one DM turn in flight: what arrives while a turn is generated goes into the next batch.

The host calls `tick()` about every 0.25 s (timers), `flush()` at the end of a script or at shutdown, and
`recover()` after a (re)start: pending messages in the database are answered, each exactly once.

    session = Session(table, channel_id, config=SessionConfig(), clock=MonotonicClock(), send=post)
    await session.recover()
    replies = await session.receive(message)     # commands: the answer; talk: [] (the answer comes via send)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from dm.combat_turns import CombatGate
from dm.table import MAX_MESSAGE_LENGTH, PlayerMessage, Table, TableReply
from game.effects import GameState

__all__ = ["OBSERVERS", "Clock", "ManualClock", "MonotonicClock", "Send", "Session", "SessionConfig",
           "SessionObserver"]

log = logging.getLogger(__name__)

Send = Callable[[list[TableReply]], Awaitable[None]]
_SEEN_KEPT = 4096  # message ids remembered for dropping redeliveries (older ones: the database still knows)


class Clock(Protocol):
    """Seconds on a monotonic scale; injected so tests and console scripts can drive time."""

    def now(self) -> float: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class SessionObserver(Protocol):
    """Monitoring's view of every session (gateway.observability installs monitoring.sessions' one; dm never
    imports monitoring). Called inline, so each call must be cheap and must not raise."""

    def opened(self, session: Session) -> None: ...
    def received(self, session: Session, kind: str) -> None: ...  # kind: "command" or "talk"
    def processed(self, session: Session, count: int) -> None: ...  # commands answered at once
    def batch_closed(self, session: Session, size: int) -> None: ...
    def turn_done(self, session: Session, seconds: float, messages: int, failed: bool) -> None: ...


OBSERVERS: list[SessionObserver] = []  # every Session of this process reports to these


def _observe(event: str, *args: Any) -> None:
    for observer in OBSERVERS:
        try:
            getattr(observer, event)(*args)
        except Exception:  # noqa: BLE001 - monitoring never breaks a game
            log.debug("session observer %s failed", event, exc_info=True)


@dataclass
class ManualClock:
    """A clock that moves only when told (tests; the console script's `wait SECONDS`)."""

    t: float = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


@dataclass
class SessionConfig:
    batch_window_s: float = 4.0  # BATCH_WINDOW_S: quiet that closes a batch
    batch_cap_s: float = 15.0  # the longest a batch stays open
    turn_timeout_s: float = 180.0  # TURN_TIMEOUT_S: a combat turn's clock (dm.combat_gate)
    recap_after_s: float = 6 * 3600  # a player back after this long gets a "previously on" recap
    max_in_flight: int = 1  # DM turns generated at once for this session
    active_window_s: float = 15 * 60  # a player who spoke this recently (and has a character) is active
    max_batch: int = 10  # plain-talk messages one turn answers (dm.turn.MAX_BATCH)


@dataclass
class _Batch:
    messages: list[PlayerMessage] = field(default_factory=list)
    opened_at: float = 0.0
    last_at: float = 0.0


class Session:
    """One channel's session (see the module docstring). Not thread-safe: one event loop drives it."""

    def __init__(self, table: Table, channel_id: int, *, config: SessionConfig | None = None,
                 clock: Clock | None = None, send: Send | None = None) -> None:  # fmt: skip
        self.table = table
        self.channel_id = channel_id
        self.config = config or SessionConfig()
        self.clock: Clock = clock or MonotonicClock()
        self.send: Send = send or _discard
        self._batch: _Batch | None = None
        self._queued: list[list[PlayerMessage]] = []  # closed batches waiting for the turn in flight
        self._inflight: asyncio.Task[None] | None = None
        self._turn_lock = asyncio.Lock()  # one DM turn at a time (batches and combat turns alike)
        self._seen: collections.OrderedDict[int, None] = collections.OrderedDict()
        self._spoke: dict[int, float] = {}  # author id → when they last spoke (session clock)
        self._last_activity: float | None = None
        self.turns = 0  # DM turns answered by this session (monitoring)
        self.gate: Any = CombatGate(turn_timeout_s=self.config.turn_timeout_s,
                                    recap_after_s=self.config.recap_after_s)  # dm.combat_turns: the fight's hooks
        _observe("opened", self)

    # --- intake ----------------------------------------------------------------------------------

    async def receive(self, message: PlayerMessage) -> list[TableReply]:
        """Take one message; returns what is answered at once (commands, denials); talk's answer goes via send."""
        if message.channel_id != self.channel_id:
            raise ValueError(f"message for channel {message.channel_id} given to session {self.channel_id}")
        if self._remember(message.message_id):
            log.info("redelivery dropped", extra={"message_id": message.message_id, "channel_id": self.channel_id})
            return []
        return await self._intake(message)

    async def _intake(self, message: PlayerMessage, *, recovering: bool = False) -> list[TableReply]:
        now = self.clock.now()
        self._last_activity = now
        if not message.text.strip():
            return []
        if (not self.table.is_talk(message) or self.table.narrator is None
                or len(message.text.strip()) > MAX_MESSAGE_LENGTH):  # fmt: skip
            replies = await self.table.handle(message)
            _observe("received", self, "command")  # after the table: its campaign is loaded (the metric's label)
            _observe("processed", self, 1)
            return [r for r in replies if not r.replayed]  # a command answered before a restart is not said twice
        replayed = await self.table.record_talk(message)
        if replayed is not None:  # answered before (another process, before a restart): nothing new to say
            return []
        _observe("received", self, "talk")
        self._spoke[message.author_id] = now
        state = await self.table.load_state(self.channel_id)
        if self.gate is not None and hasattr(self.gate, "returning") and not recovering:
            await self.gate.returning(self, message, state)  # a player back after a long gap: "previously on"
        combat = await self._combat_talk(message, state)
        if combat is not None:
            return combat
        self._join(message, now)
        if not recovering and await self._everyone_spoke(state):
            self._close()
            await self._start()
        return []

    def _remember(self, message_id: int) -> bool:
        """True when `message_id` was seen before (then it is a redelivery)."""
        if message_id in self._seen:
            return True
        self._seen[message_id] = None
        while len(self._seen) > _SEEN_KEPT:
            self._seen.popitem(last=False)
        return False

    # --- COMBAT GATE HOOK: dm/combat_gate.py plugs in here ---------------------------------------

    async def _combat_talk(self, message: PlayerMessage, state: GameState | None) -> list[TableReply] | None:
        """In combat the gate answers the message at once (an action → a DM turn, someone else's action →
        a denial, a question → an answer that changes nothing). None: not in combat, the message joins
        the batch. Until the gate is wired, talk in combat is answered at once by its own DM turn."""
        if state is None or state.combat is None or not state.combat.combatants:
            return None
        if self.gate is not None and hasattr(self.gate, "talk"):
            return await self.gate.talk(self, message, state)  # type: ignore[no-any-return]
        return await self.answer([message])

    async def _combat_tick(self, now: float) -> None:
        """Turn clocks in combat (the gate's nudge, then Dodge and the turn passes)."""
        if self.gate is not None and hasattr(self.gate, "tick"):
            await self.gate.tick(self, now)

    # --- batching --------------------------------------------------------------------------------

    def _join(self, message: PlayerMessage, now: float) -> None:
        if self._batch is None:
            self._batch = _Batch(opened_at=now)
        if all(m.message_id != message.message_id for m in self._batch.messages):
            self._batch.messages.append(message)
        self._batch.last_at = now
        if len(self._batch.messages) >= self.config.max_batch:
            self._close()

    def active_players(self, state: GameState | None) -> set[int]:
        """Authors with a character in the campaign who spoke within `active_window_s`."""
        if state is None:
            return set()
        since = self.clock.now() - self.config.active_window_s
        return {a for a, t in self._spoke.items() if t >= since and state.character_of(a) is not None}

    async def _everyone_spoke(self, state: GameState | None) -> bool:
        if self._batch is None or not self._batch.messages:
            return False
        active = self.active_players(state)
        return bool(active) and active <= {m.author_id for m in self._batch.messages}

    def _due(self, now: float) -> bool:
        batch = self._batch
        if batch is None or not batch.messages:
            return False
        quiet = now - batch.last_at >= self.config.batch_window_s
        capped = now - batch.opened_at >= self.config.batch_cap_s
        return quiet or capped

    def _close(self) -> None:
        """Close the open batch: it waits in order for the turn in flight (if any)."""
        if self._batch is not None and self._batch.messages:
            self._queued.append(sorted(self._batch.messages, key=lambda m: m.message_id))
            _observe("batch_closed", self, len(self._batch.messages))
        self._batch = None

    async def _start(self) -> None:
        """Start a DM turn for the oldest closed batch unless one is in flight."""
        if self._queued and (self._inflight is None or self._inflight.done()):
            self._inflight = asyncio.create_task(self._run_queued())

    async def _run_queued(self) -> None:
        while self._queued:
            batch = self._queued.pop(0)
            try:
                replies = await self.answer(batch)
            except Exception:  # noqa: BLE001 - the messages stay pending in the database; the next turn takes them
                log.exception("DM turn failed", extra={"channel_id": self.channel_id})
                continue
            if replies:
                await self.send(replies)

    @property
    def turn_lock(self) -> asyncio.Lock:
        """Held while a DM turn runs (the gate's creature turns and clock passes take it too)."""
        return self._turn_lock

    async def answer(self, messages: list[PlayerMessage], **how: Any) -> list[TableReply]:
        """One DM turn answering `messages` (one in flight per session); `how`: the combat gate's narrator
        keywords (`question=True`, `advance=actor`)."""
        async with self._turn_lock:
            started = time.perf_counter()
            try:
                replies = await self.table.answer_talk(messages, **how)
            except BaseException:
                _observe("turn_done", self, time.perf_counter() - started, len(messages), True)
                raise
            _observe("turn_done", self, time.perf_counter() - started, len(messages), False)
            self.turns += 1
            return replies

    # --- timers and lifecycle --------------------------------------------------------------------

    async def tick(self) -> None:
        """Close a quiet or capped batch and start its turn; run the combat turn clocks."""
        now = self.clock.now()
        if self._due(now):
            self._close()
        await self._start()
        await self._combat_tick(now)

    async def idle(self) -> None:
        """Wait for the turn in flight (and the batches queued behind it) to be answered."""
        while self._inflight is not None and not self._inflight.done():
            await asyncio.shield(self._inflight)
        await self._start()
        if self._inflight is not None and not self._inflight.done():
            await self.idle()

    async def flush(self) -> None:
        """Close the open batch now and wait until every batch is answered."""
        self._close()
        await self._start()
        await self.idle()

    async def recover(self) -> None:
        """After a (re)start: pending messages in the database are answered, each once (commands at once, in
        order; plain talk joins the open batch, which closes on the usual timers)."""
        await self._seed_activity()
        if self.gate is not None and hasattr(self.gate, "seed"):
            await self.gate.seed(self)  # who has been away (dm.combat_turns): the recap survives a restart
        pending = await self.table.messages.pending(self.channel_id, limit=500)
        for stored in sorted(pending, key=lambda s: s.discord_message_id):
            if stored.from_dm or self._remember(stored.discord_message_id):
                continue
            message = PlayerMessage(stored.channel_id, stored.discord_message_id, stored.author_id,
                                    stored.author_name, stored.content)  # fmt: skip
            replies = await self._intake(message, recovering=True)
            if replies:
                await self.send(replies)

    async def _seed_activity(self) -> None:
        """Who spoke lately, read from the message log: a restarted session still knows the active players."""
        recent = getattr(self.table.messages, "recent", None)
        if recent is None:
            return
        wall, now = datetime.now(UTC), self.clock.now()
        for stored in await recent(self.channel_id, limit=50):
            created = getattr(stored, "created_at", None)
            if stored.from_dm or not isinstance(created, datetime):
                continue
            ago = (wall - (created if created.tzinfo else created.replace(tzinfo=UTC))).total_seconds()
            if ago <= self.config.active_window_s:
                self._spoke[stored.author_id] = max(self._spoke.get(stored.author_id, now - ago), now - ago)

    async def close(self) -> None:
        """Answer what is open, then stop."""
        with contextlib.suppress(Exception):
            await self.flush()

    def status(self) -> dict[str, Any]:
        """For monitoring: open batch size, closed batches waiting, turn in flight, last activity."""
        batch = self._batch
        return {
            "channel_id": self.channel_id,
            "open_batch": 0 if batch is None else len(batch.messages),
            "queued_batches": len(self._queued),
            "pending": (0 if batch is None else len(batch.messages)) + sum(len(b) for b in self._queued),
            "in_flight": int(self._inflight is not None and not self._inflight.done()),
            "turns": self.turns,
            "last_activity": self._last_activity,
            "idle_s": None if self._last_activity is None else self.clock.now() - self._last_activity,
        }


async def _discard(replies: list[TableReply]) -> None:
    log.warning("session replies dropped: no send callback", extra={"replies": len(replies)})

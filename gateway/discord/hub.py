"""`SessionHub`: one session per Discord channel, created on first use, ticked in the background.

    hub = SessionHub(local_sessions(table, config=settings.session_config()), post=bot.post_replies)
    hub.start()                                  # the tick loop (timers: batches, combat turn clocks)
    replies = await hub.receive(player_message)  # commands: their answer; talk: [] (its answer goes to `post`)
    await hub.stop()                             # clean shutdown: open batches stay pending in the database

A session factory is `async (channel_id, send) -> session`; the session is a `dm.session.Session` run in
this process (`local_sessions`) or a `SessionActor` on Ray driven through `gateway.remote_session.RemoteSession`
(`remote_sessions(director)`). A new local session first `recover()`s what the database holds pending for its
channel (a restart answers those messages, each once).

Shutdown does not `flush()`: talk still waiting in an open batch stays pending in the message log and the
next start answers it. A DM turn already running is given a few seconds to finish (cancelling it mid-query
would spoil its database connection); its messages are marked answered only if it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from dm.table import PlayerMessage, TableReply

__all__ = ["Post", "SessionFactory", "SessionHub", "SessionLike", "local_sessions", "remote_sessions"]

log = logging.getLogger(__name__)

TICK_S = 0.25
STOP_GRACE_S = 10.0  # how long a DM turn in flight may take to finish at shutdown

Post = Callable[[int, list[TableReply]], Awaitable[None]]


class SessionLike(Protocol):
    """What the hub drives: `dm.session.Session` or `gateway.remote_session.RemoteSession`."""

    def rebound(self, channel_id: int) -> None:
        """The channel was just bound to a campaign: a provisional session (made before it had one) is dropped,
        so the next message gets the campaign's real session."""
        if getattr(self.sessions.get(channel_id), "provisional", False):
            self.sessions.pop(channel_id, None)

    async def receive(self, message: PlayerMessage) -> list[TableReply]: ...

    async def tick(self) -> None: ...

    async def idle(self) -> None: ...


SessionFactory = Callable[[int, Callable[[list[TableReply]], Awaitable[None]]], Awaitable[SessionLike]]


def local_sessions(table: Any, *, config: Any = None, clock: Any = None) -> SessionFactory:
    """Sessions in this process on `table` (the tests' default and `lorekeeper bot` without Ray)."""
    from dm.session import Session

    async def make(channel_id: int, send: Callable[[list[TableReply]], Awaitable[None]]) -> SessionLike:
        session = Session(table, channel_id, config=config, clock=clock, send=send)
        await session.recover()
        return session

    return make


def remote_sessions(director: Any) -> SessionFactory:
    """Sessions in `SessionActor`s on Ray, found or started by the `SessionDirector` `director`."""
    from gateway.remote_session import RemoteSession

    async def make(channel_id: int, send: Callable[[list[TableReply]], Awaitable[None]]) -> SessionLike:
        actor = await director.session.remote(channel_id)
        return RemoteSession(actor, send)

    return make


class SessionHub:
    """Channel → session (see the module docstring). One event loop drives it."""

    def __init__(self, factory: SessionFactory, post: Post | None = None, *, tick_s: float = TICK_S) -> None:
        self.factory = factory
        self.post: Post | None = post
        self.tick_s = tick_s
        self.sessions: dict[int, SessionLike] = {}
        self._making: dict[int, asyncio.Lock] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._ticking = False
        self.stopped = False

    async def session(self, channel_id: int) -> SessionLike:
        """The channel's session, made (and recovered) on first use."""
        found = self.sessions.get(channel_id)
        if found is not None:
            return found
        async with self._making.setdefault(channel_id, asyncio.Lock()):
            if channel_id not in self.sessions:
                self.sessions[channel_id] = await self.factory(channel_id, self._sender(channel_id))
        return self.sessions[channel_id]

    def _sender(self, channel_id: int) -> Callable[[list[TableReply]], Awaitable[None]]:
        async def send(replies: list[TableReply]) -> None:
            if self.post is None:
                log.warning("replies dropped: no poster", extra={"channel_id": channel_id})
                return
            await self.post(channel_id, replies)

        return send

    def rebound(self, channel_id: int) -> None:
        """The channel was just bound to a campaign: a provisional session (made before it had one) is dropped,
        so the next message gets the campaign's real session."""
        if getattr(self.sessions.get(channel_id), "provisional", False):
            self.sessions.pop(channel_id, None)

    async def receive(self, message: PlayerMessage) -> list[TableReply]:
        """One message into its channel's session; what is answered at once."""
        if self.stopped:
            return []  # shutting down: it stays unrecorded and is fetched from history at the next start
        session = await self.session(message.channel_id)
        return await session.receive(message)

    def start(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticking = True
            self._ticker = asyncio.create_task(self._tick_loop(), name="session-hub-ticks")

    async def _tick_loop(self) -> None:
        while self._ticking:
            await asyncio.sleep(self.tick_s)
            if not self._ticking:
                return
            await self.tick()

    async def tick(self) -> None:
        """Run every session's timers once (a failing session is logged, the others still tick)."""
        for channel_id, session in list(self.sessions.items()):
            try:
                await session.tick()
            except Exception:  # noqa: BLE001 - one channel's trouble must not stop the others' clocks
                log.exception("session tick failed", extra={"channel_id": channel_id})

    def status(self) -> list[dict[str, Any]]:
        """Each local session's status (a remote one reports through the director)."""
        return [s.status() for s in self.sessions.values() if hasattr(s, "status")]  # type: ignore[attr-defined]

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop ticking, let a turn in flight finish (up to `grace_s`); open batches stay pending."""
        self.stopped = True
        self._ticking = False
        if self._ticker is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._ticker, self.tick_s * 8)
            self._ticker.cancel()
        for channel_id, session in list(self.sessions.items()):
            inflight = getattr(session, "_inflight", None)
            if inflight is None or inflight.done():
                continue
            try:
                await asyncio.wait_for(asyncio.shield(inflight), grace_s)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                log.warning("a DM turn was still running at shutdown", extra={"channel_id": channel_id})
                inflight.cancel()
            except Exception:  # noqa: BLE001 - logged by the session already
                pass

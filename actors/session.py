"""`SessionActor` (named `session:<channel id>`): a thin Ray shell over `dm.session.Session`.

It builds a `Table` on the `PersistenceActor`'s proxies and the DM turn, recovers what the database holds
pending, ticks the session every `tick_s`, and keeps the replies a DM turn sends in an outbox the gateway
drains (`drain` waits for the next ones). After a crash Ray restarts it (`max_restarts`) with the same
`SessionSpec`; `__init__` has `start` called on itself, so the pending messages are answered without waiting
for a new one, each exactly once (the message log's processed flags decide).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any

import ray

from actors.session_parts import SessionSpec, build_table, session_config
from dm.session import Session
from dm.table import PlayerMessage, TableReply

__all__ = ["SESSION_CPUS", "SessionActor", "SessionSpec", "session_name"]

log = logging.getLogger(__name__)

SESSION_CPUS = 0.05  # fractional: fifty sessions fit one CPU of the scheduler's budget


def session_name(channel_id: int) -> str:
    return f"session:{channel_id}"


def _kick(actor: Any, attempts: int = 60) -> None:
    for attempt in range(attempts):
        try:
            ray.get(actor.start.remote())
            return
        except Exception:  # noqa: BLE001 - not taking calls yet, or the database is away: try again
            log.warning("session start failed; retrying", exc_info=attempt == attempts - 1)
            time.sleep(min(5.0, 0.2 * (attempt + 1)))


@ray.remote(num_cpus=SESSION_CPUS, max_restarts=-1, max_task_retries=0)
class SessionActor:
    def __init__(self, spec: SessionSpec, persistence: Any) -> None:
        from gateway.observability import install_observers

        # this process's session and model calls count (relayed by the gateway's exporter); its database writes
        # are the persistence actor's
        install_observers(database_writes=False)
        self.spec = spec
        self._table = build_table(spec, persistence)
        self._session: Session | None = None
        self._outbox: list[TableReply] = []
        self._drafts: dict[int, str] = {}  # the newest narration draft per channel, for a front end that streams
        if hasattr(self._table.narrator, "on_draft"):
            self._table.narrator.on_draft = self._draft
        self._arrived = asyncio.Event()
        self._starting = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        # recover and tick without waiting for a message (after a restart nobody else calls): a call to itself,
        # from a thread, retried until the actor takes calls (a restarting actor may refuse the first ones)
        threading.Thread(target=_kick, args=(ray.get_runtime_context().current_actor,), daemon=True).start()

    async def _send(self, replies: list[TableReply]) -> None:
        self._outbox.extend(replies)
        self._arrived.set()

    def _draft(self, channel_id: int, text: str) -> None:
        self._drafts[channel_id] = text

    async def drafts(self) -> dict[int, str]:
        """The newest narration draft of each channel since the last call (`dm.drafts`; the bot streams them)."""
        out, self._drafts = self._drafts, {}
        return out

    async def start(self) -> dict[str, Any]:
        """Build the session and answer what is pending (idempotent); returns `status`."""
        async with self._starting:
            if self._session is None:
                session = Session(self._table, self.spec.channel_id, config=self.spec.config or session_config(),
                                  send=self._send)  # fmt: skip
                await session.recover()
                self._session = session
                self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())
        return await self.status()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.spec.tick_s)
            try:
                await self._session.tick()  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001 - one bad tick must not stop the clock
                log.exception("session tick failed", extra={"channel_id": self.spec.channel_id})

    async def receive(self, message: PlayerMessage) -> list[TableReply]:
        """One message; returns what is answered at once (a DM turn's answer arrives through `drain`)."""
        await self.start()
        return await self._session.receive(message)  # type: ignore[union-attr]

    async def drain(self, timeout_s: float = 0.0) -> list[TableReply]:
        """The replies sent since the last drain; waits up to `timeout_s` for the first one."""
        if not self._outbox and timeout_s > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout_s)
            except TimeoutError:
                pass
        out, self._outbox = self._outbox, []
        return out

    async def flush(self) -> list[TableReply]:
        """Close the open batch, wait until every turn is answered, and hand back the outbox."""
        await self.start()
        await self._session.flush()  # type: ignore[union-attr]
        return await self.drain()

    async def set_owner(self, owner_id: int) -> None:
        self._table.owner_id = owner_id

    async def combat(self) -> dict[str, Any] | None:
        """The combat as this session's table reads it: order, round, whose turn (None: no fight). Does not wait
        for `start`, so a restarted actor shows what it rebuilt before it answers what was pending."""
        state = await self._table.load_state(self.spec.channel_id)
        if state is None or state.combat is None:
            return None
        combat = state.combat
        return {"order": [c.id for c in combat.combatants], "round": combat.round,
                "current": combat.combatants[combat.turn_index].id if combat.combatants else None}  # fmt: skip

    async def metrics_text(self) -> dict[str, str]:
        """This process's metrics (its session, its model calls), for the gateway's /metrics (monitoring.relay)."""
        from monitoring.relay import offered

        return offered()

    async def status(self) -> dict[str, Any]:
        status = {"pid": os.getpid(), "outbox": len(self._outbox), "started": self._session is not None,
                  "recovering": self._starting.locked()}  # fmt: skip
        return {**(self._session.status() if self._session else {"channel_id": self.spec.channel_id}), **status}

    async def shutdown(self) -> list[TableReply]:
        """Answer what is open, stop ticking; the caller then kills the actor."""
        if self._session is not None:
            await self._session.close()
        if self._ticker is not None:
            self._ticker.cancel()
        return await self.drain()

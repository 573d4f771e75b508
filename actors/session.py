"""`SessionActor` (named `session:<channel id>`): a thin Ray shell over `dm.session.Session`.

It builds a `Table` on the `PersistenceActor`'s proxies and the DM turn, recovers what the database holds
pending, ticks the session every `tick_s`, and keeps the replies a DM turn sends in an outbox the gateway
drains (`drain` waits for the next ones). After a crash Ray restarts it (`max_restarts`) with the same
`SessionSpec`; `__init__` queues `start` on itself, so the pending messages are answered without waiting
for a new one, each exactly once (the message log's processed flags decide).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import ray

from dm.session import Session, SessionConfig
from dm.table import PlayerMessage, Table, TableReply

__all__ = ["SESSION_CPUS", "RemoteSession", "SessionActor", "SessionSpec", "session_name"]

log = logging.getLogger(__name__)

SESSION_CPUS = 0.05  # fractional: fifty sessions fit one CPU of the scheduler's budget


def session_name(channel_id: int) -> str:
    return f"session:{channel_id}"


@dataclass(frozen=True)
class SessionSpec:
    """What a session actor is built from (kept by Ray, reused on restart). `router`: the `InferenceRouter`
    actor handle; else `llm` ("scripted:PATH", or a backend name built in the actor) or `script` entries."""

    channel_id: int
    llm: str = "auto"
    router: Any = None
    script: tuple[dict[str, Any], ...] | None = None
    owner_id: int | None = None
    seed: int | None = None
    rules: bool = True
    config: SessionConfig | None = None  # None: BATCH_WINDOW_S, BATCH_CAP_S, TURN_TIMEOUT_S from the settings
    tick_s: float = 0.25


def _backend(spec: SessionSpec) -> Any:
    if spec.router is not None:
        from actors.inference import ActorBackend
        from gateway.settings import get_settings

        return ActorBackend("router", spec.router, get_settings().max_model_len,
                            campaign=spec.channel_id)  # the router queues campaigns fairly (inference.fair_queue)
    if spec.script is not None:
        from inference.scripted import ScriptedBackend

        return ScriptedBackend(list(spec.script))
    from gateway.commands.play import _backend as build

    return build(spec.llm)


def _config() -> SessionConfig:
    from gateway.commands.play import _session_config
    from gateway.settings import get_settings

    return _session_config(get_settings())  # type: ignore[no-any-return]


def _services(spec: SessionSpec, persistence: Any) -> Any:
    """The owner's and the campaign commands' services: the router actor for the model commands, the
    campaign library through the persistence actor."""
    from actors.persistence import PlayStoreProxy
    from gateway.settings import get_settings
    from gateway.wiring import Services

    class ActorServices(Services):
        def _repo(self) -> Any:
            return PlayStoreProxy(persistence)

    return ActorServices(settings=get_settings(), router=spec.router)


def _table(spec: SessionSpec, persistence: Any) -> Table:
    from actors.persistence import MessageStoreProxy, PlayStoreProxy, RepositoryProxy
    from dm.turn import DMTurn
    from gateway.settings import get_settings

    scripted = spec.script is not None or spec.llm.startswith("scripted:")
    narrator = DMTurn(_backend(spec), window=get_settings().max_model_len,
                      canon=RepositoryProxy(persistence, "canon"), world=RepositoryProxy(persistence, "world"),
                      search=None if scripted else RepositoryProxy(persistence, "search"))  # fmt: skip
    services = _services(spec, persistence)
    table = Table(store=PlayStoreProxy(persistence), messages=MessageStoreProxy(persistence),
                  rules=RepositoryProxy(persistence, "rules") if spec.rules else None, owner_id=spec.owner_id,
                  rules_off=None if spec.rules else "it is switched off in this game (--no-rules)",
                  narrator=narrator, seed=spec.seed, world=RepositoryProxy(persistence, "builder"),
                  services=services)  # fmt: skip
    services.table = table
    return table


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
        self.spec = spec
        self._table = _table(spec, persistence)
        self._session: Session | None = None
        self._outbox: list[TableReply] = []
        self._arrived = asyncio.Event()
        self._starting = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        # recover and tick without waiting for a message (after a restart nobody else calls): a call to itself,
        # from a thread, retried until the actor takes calls (a restarting actor may refuse the first ones)
        threading.Thread(target=_kick, args=(ray.get_runtime_context().current_actor,), daemon=True).start()

    async def _send(self, replies: list[TableReply]) -> None:
        self._outbox.extend(replies)
        self._arrived.set()

    async def start(self) -> dict[str, Any]:
        """Build the session and answer what is pending (idempotent); returns `status`."""
        async with self._starting:
            if self._session is None:
                session = Session(self._table, self.spec.channel_id, config=self.spec.config or _config(),
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


class RemoteSession:
    """The part of `dm.session.Session` a front end drives (`receive`, `tick`, `idle`, `flush`), over a
    `SessionActor`: replies the actor sends are drained into `send` on every call. `owner_id` (set by the
    console when a player claims the table) is passed on to the actor's table before the next message."""

    def __init__(self, actor: Any, send: Any = None, owner_id: int | None = None) -> None:
        self.actor, self.send, self.owner_id = actor, send, owner_id
        self._owner_sent: int | None = None

    async def _drain(self, timeout_s: float = 0.0) -> None:
        replies = await self.actor.drain.remote(timeout_s)
        if replies and self.send is not None:
            await self.send(replies)

    async def receive(self, message: PlayerMessage) -> list[TableReply]:
        if self.owner_id is not None and self.owner_id != self._owner_sent:
            await self.actor.set_owner.remote(self.owner_id)
            self._owner_sent = self.owner_id
        replies = await self.actor.receive.remote(message)
        await self._drain()
        return replies

    async def tick(self) -> None:
        await self._drain()

    async def idle(self) -> None:
        return None

    async def flush(self) -> None:
        replies = await self.actor.flush.remote()
        if replies and self.send is not None:
            await self.send(replies)

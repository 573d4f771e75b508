"""`RemoteSession`: the calls a front end makes on a `dm.session.Session`, over a `SessionActor`.

The console (`lorekeeper play --ray`) and the bot drive a session actor through it as they would drive an
in-process `Session`; the replies the actor sends (a batch's answer, a turn clock's line) wait in its outbox
and are drained into `send` on every call.
"""

from __future__ import annotations

from typing import Any

from dm.table import PlayerMessage, TableReply

__all__ = ["RemoteSession"]


class RemoteSession:
    """The part of `dm.session.Session` a front end drives (`receive`, `tick`, `idle`, `flush`), over a
    `SessionActor`: replies the actor sends are drained into `send` on every call. `owner_id` (set by the
    console when a player claims the table) is passed on to the actor's table before the next message."""

    def __init__(self, actor: Any, send: Any = None, owner_id: int | None = None) -> None:
        self.actor, self.send, self.owner_id = actor, send, owner_id
        self.on_draft: Any = None  # (channel id, narration draft): the bot's streaming, fed on every tick
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
        if self.on_draft is not None:
            for channel_id, text in (await self.actor.drafts.remote()).items():
                self.on_draft(channel_id, text)
        await self._drain()

    async def idle(self) -> None:
        return None

    async def flush(self) -> None:
        replies = await self.actor.flush.remote()
        if replies and self.send is not None:
            await self.send(replies)

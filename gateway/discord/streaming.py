"""Narration that appears as the model writes it: one message, edited as the draft grows, then settled.

    attach(bot, table.narrator)      # once, for an in-process DM turn (`dm.turn.DMTurn.on_draft`)

While a DM turn's backend streams, `dm.drafts` reports the growing narrative of the reply (`on_draft(channel_id,
text)`). The first draft posts a message in the channel; later drafts edit it, never more often than every
`EDIT_INTERVAL_S` (the newest draft wins; the ones in between are skipped). When the turn's settled reply comes
back (the engine validates after the model, so its text may differ: refused changes, mechanics lines, a repaired
name), `post_reply` gives it to that message as the final edit (respecting the same interval; a part past 2,000
characters is posted after it). A backend that does not stream reports no draft, and the reply is posted as a new
message as always. A remote (Ray) session's actor keeps the newest draft of its turn and the bot fetches it on
every tick (`gateway.remote_session.RemoteSession.on_draft`); its model calls to the inference router actor
stream back through `InferenceRouter.generate_stream` (`actors.inference.ActorBackend`).

`EditThrottle` (the interval, an injected clock) and `NarrationStream` (one channel's draft message, an injected
sleep) are tested without Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from dm.table import TableReply
from gateway.discord.splitting import DISCORD_LIMIT, split_message

__all__ = ["EDIT_INTERVAL_S", "EditThrottle", "NarrationStream", "attach", "post_reply", "streams_of", "take_stream"]

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.2  # at least this long between two edits of a draft message
DRAFT_MARK = " …"  # shown after a draft that is still growing
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class EditThrottle:
    """When the next edit may happen: `interval` after the last one (`clock` in seconds, injectable)."""

    def __init__(self, interval: float = EDIT_INTERVAL_S, clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.last: float | None = None

    def wait(self) -> float:
        """Seconds to wait before the next edit (0: now)."""
        if self.last is None:
            return 0.0
        return max(0.0, self.last + self.interval - self.clock())

    def mark(self) -> None:
        """An edit (or the first post) happened now."""
        self.last = self.clock()


class NarrationStream:
    """One channel's streamed narration: `update(text)` from the draft listener, `finish(text)` with the
    settled reply. `channel` is anything with `send(content=...)` returning a message with `edit(content=...)`."""

    def __init__(self, channel: Any, *, interval: float = EDIT_INTERVAL_S, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:  # fmt: skip
        self.channel = channel
        self.throttle = EditThrottle(interval, clock)
        self.sleep = sleep
        self.message: Any = None
        self.latest = ""
        self.shown = ""
        self.edits = 0  # edits made after the first post (the final one included)
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.closed = False

    def update(self, text: str) -> None:
        """A newer draft (called from the turn, synchronously): shown at the next allowed edit."""
        if self.closed or not text.strip():
            return
        self.latest = text
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="narration-draft")

    async def _run(self) -> None:
        while not self.closed and self.latest != self.shown:
            await self.sleep(self.throttle.wait())
            if self.closed:
                return
            async with self._lock:
                if self.closed:
                    return
                await self._show(_draft_text(self.latest))
                self.shown = self.latest

    async def _show(self, content: str) -> None:
        try:
            if self.message is None:
                self.message = await self.channel.send(content=content)
            else:
                await self.message.edit(content=content)
                self.edits += 1
        except discord.HTTPException as exc:  # a draft is a nicety: the settled reply is posted anyway
            log.info("narration draft not shown", extra={"status": exc.status})
        self.throttle.mark()

    async def stop(self) -> None:
        """No more drafts: a post or edit in flight completes (so the message it makes is known), a wait is cut."""
        self.closed = True
        pump = self._pump
        if pump is None or pump.done():
            return
        if not self._lock.locked():  # waiting out the interval: nothing is being sent
            pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump

    async def finish(self, content: str, embeds: list[discord.Embed] | None = None) -> list[Any]:
        """The settled text as the final edit (after the interval); overflow past 2,000 characters and the
        embeds follow as new messages. Without a draft message yet, everything is posted anew."""
        await self.stop()
        pieces = split_message(content, DISCORD_LIMIT) if content else []
        posted: list[Any] = []
        if self.message is not None and pieces:
            await self.sleep(self.throttle.wait())
            try:
                await self.message.edit(content=pieces[0], embeds=embeds if len(pieces) == 1 and embeds else [])
                self.edits += 1
                self.throttle.mark()
                posted.append(self.message)
                pieces = pieces[1:]
                embeds = None if not pieces else embeds
            except discord.HTTPException as exc:  # the draft was deleted: post the text anew
                log.info("final narration edit failed; posting anew", extra={"status": exc.status})
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            posted.append(await self.channel.send(content=piece, embeds=(embeds or []) if last else []))
        if not pieces and embeds:
            posted.append(await self.channel.send(embeds=embeds))
        return posted

    async def discard(self) -> None:
        """Remove the draft (the settled reply is posted another way: NPC voices)."""
        await self.stop()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.delete()
            self.message = None


def _draft_text(text: str) -> str:
    return text[: DISCORD_LIMIT - len(DRAFT_MARK)] + DRAFT_MARK


# --- the bot's side ------------------------------------------------------------------------------------


def streams_of(bot: Any) -> dict[int, NarrationStream]:
    """The bot's live narration streams, by channel id."""
    found = getattr(bot, "_narration_streams", None)
    if found is None:
        found = {}
        bot._narration_streams = found  # noqa: SLF001 - kept on the bot: one table of streams per bot
    return found


def attach(bot: Any, narrator: Any, *, interval: float = EDIT_INTERVAL_S) -> bool:
    """Stream the drafts of `narrator` (a `DMTurn` in this process) and of the hub's remote sessions (their
    actors' DM turns, fed on every tick) into the bot's channels; False when neither can report drafts."""
    streams = streams_of(bot)

    def on_draft(channel_id: int, text: str) -> None:
        stream = streams.get(channel_id)
        if stream is None or stream.closed:
            channel = bot.get_channel(channel_id)
            if channel is None:
                return
            stream = streams[channel_id] = NarrationStream(channel, interval=interval)
        stream.update(text)

    hub = getattr(bot, "hub", None)
    if hub is not None and not getattr(hub, "_drafts_wrapped", False):
        made = hub.factory

        async def factory(channel_id: int, send: Any) -> Any:
            session = await made(channel_id, send)
            if hasattr(session, "on_draft"):  # a RemoteSession: its actor keeps the newest draft per channel
                session.on_draft = on_draft
            return session

        hub.factory, hub._drafts_wrapped = factory, True  # noqa: SLF001 - once per hub
    if narrator is None or not hasattr(narrator, "on_draft"):
        return hub is not None
    narrator.on_draft = on_draft
    return True


async def take_stream(bot: Any, channel_id: int) -> NarrationStream | None:
    """The channel's stream, removed from the bot's table and stopped (None: no draft was shown)."""
    stream = streams_of(bot).pop(channel_id, None)
    if stream is None:
        return None
    await stream.stop()
    return stream


async def post_reply(bot: Any, channel: Any, reply: TableReply, origin: Any) -> bool:
    """The bot's hook: a narrative whose draft is on screen becomes that message's final edit (True)."""
    if reply.kind != "narrative":
        return False
    stream = await take_stream(bot, getattr(channel, "id", 0))
    if stream is None or stream.message is None:
        return False
    from gateway.discord.bot import reply_parts

    parts = reply_parts(reply)
    content = "\n\n".join(p.content for p in parts if getattr(p, "content", ""))
    embeds = [e for p in parts for e in (getattr(p, "embeds", ()) or ())][:10]
    await stream.finish(content, embeds)
    return True

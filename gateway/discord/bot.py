"""`LorekeeperBot`: the discord.py client, a thin gateway over the table's sessions.

    hub = SessionHub(local_sessions(table, config=settings.session_config()))
    bot = LorekeeperBot(settings, hub, db=db)
    await bot.start(token)   # or: async with bot: await bot.login(token); await bot.connect()

What it answers: every message in BOT_CHANNEL_ID and in every channel bound to a campaign (`!load_campaign`
binds one; the binding lives in the campaigns table), with no @mention needed. A `!load_campaign` or
`!new_campaign` is taken in any channel of a guild (the table checks the owner), so a new channel can be bound.
Messages from bots (its own included) and webhooks are ignored. `!` commands are parsed by the table
(`dm.commands.registry`), not by discord.ext.commands' prefix machinery; slash commands come from
`gateway/discord/commands.py` `setup_commands(bot)` (called in `setup_hook` when that module exists).

Each message becomes a `dm.table.PlayerMessage` (`gateway.discord.intake`) and goes to its channel's session
through the `SessionHub`; replies come back through `post_replies` (a batch's answer, a turn clock's line) or
at once (a command's answer) and are posted by `send_replies`: `gateway.discord.render.message_parts` turns each
into content/embeds (the console text until it exists), content is split at 2,000 characters
(`gateway.discord.splitting`), and a private answer (`ephemeral`, a whisper) goes to its player by direct
message, never to the channel. discord.py's HTTP client keeps to Discord's rate limits (it waits on 429s and
the rate-limit buckets); nothing here sends around it.

discord.py runs each event handler as its own task; a channel's messages still enter its session one at a time,
in the order they arrived (a per-channel lock around the intake), so the session sees a batch as it was said
(two players speaking a moment apart both join it) and commands run in the order they were typed.

While the DM thinks (plain talk waiting for its turn) the channel shows the typing indicator.

Reconnects and restarts: discord.py reconnects and RESUMEs by itself. On every READY and RESUMED the bot opens
each watched channel's session (a new one first answers what the message log holds pending: talk left open by
a clean shutdown) and fetches the channel history after the newest message it had taken before the connection
(re)started — read from the message log at start-up, remembered at each disconnect, so live messages taken
before the catch-up runs do not hide older missed ones; a channel it knows nothing of starts from the log's
newest. Each fetched message goes through the same intake, so one the gateway did deliver too is answered once.

Extension points (small functions other modules may provide; each is optional):
- `gateway/discord/commands.py`: `setup_commands(bot)` (sync or async) — slash commands from the registry.
- `gateway/discord/streaming.py`: `attach(bot, narrator)` — called once by `gateway.commands.bot.build_bot`.
- `gateway/discord/views.py`, `whispers.py`, `voices.py`, `streaming.py`: `post_reply(bot, channel, reply, origin)
  -> bool` (sync or async): True when it posted the reply itself (a creation menu, a whisper's private answer,
  an NPC's webhook voice, a streamed narration); False lets the default posting happen. Asked in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import re
from collections.abc import Iterable
from typing import Any

import discord
from discord.ext import commands

from dm.table import PlayerMessage, TableReply
from gateway.discord.hub import SessionHub
from gateway.discord.intake import last_seen, missed_messages, player_message
from gateway.discord.splitting import split_message
from gateway.errors import friendly_message

__all__ = ["LorekeeperBot", "bot_intents", "optional_module", "reply_parts", "text_parts"]

log = logging.getLogger(__name__)

TYPING_MAX_S = 120.0  # the typing indicator stops after this even if no answer came
_BINDING = re.compile(r"^\s*!(load_campaign|new_campaign)\b", re.IGNORECASE)
_HOOK_MODULES = ("views", "whispers", "voices", "streaming")


def bot_intents() -> discord.Intents:
    """Guilds (channels), guild messages and the privileged message-content intent (the bot reads `!` text)."""
    intents = discord.Intents.default()
    intents.message_content = True
    return intents


def optional_module(module: str) -> Any:
    """`gateway.discord.<module>` when it exists (the other helpers' extension points), else None."""
    try:
        return importlib.import_module(f"gateway.discord.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"gateway.discord.{module}":
            raise
        return None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def reply_parts(reply: TableReply) -> list[Any]:
    """`gateway.discord.render.message_parts(reply)` when that module exists, else the console's text."""
    render = optional_module("render")
    if render is not None and hasattr(render, "message_parts"):
        return list(render.message_parts(reply))
    return text_parts(reply)


def text_parts(reply: TableReply) -> list[Any]:
    """The reply as the console's plain text; private (a whisper, a result for `visible_to` only) stays private."""
    from gateway.console import reply_text

    visible = tuple(getattr(reply.result, "visible_to", ()) or ())
    return [_TextPart(reply_text(reply), reply.kind == "whisper" or bool(visible), visible)]


class _TextPart:
    def __init__(self, content: str, ephemeral: bool = False, visible_to: tuple[int, ...] = ()) -> None:
        self.content, self.embeds, self.ephemeral, self.visible_to = content, (), ephemeral, visible_to


class LorekeeperBot(commands.Bot):
    """See the module docstring. `db`: the open `persistence.database.Database` (channel bindings, last ids)."""

    def __init__(self, settings: Any, hub: SessionHub, *, db: Any = None, **options: Any) -> None:
        options.setdefault("chunk_guilds_at_startup", False)
        super().__init__(command_prefix=commands.when_mentioned, intents=options.pop("intents", bot_intents()),
                         help_command=None, **options)  # fmt: skip
        self.settings, self.hub, self.db = settings, hub, db
        hub.post = self.post_replies
        self.bound: set[int] = set()
        self._typing: dict[int, tuple[asyncio.Event, asyncio.Task[None]]] = {}
        self._order: dict[int, asyncio.Lock] = {}  # a channel's messages enter its session one at a time
        self._catching_up: asyncio.Task[None] | None = None
        self._taken: dict[int, int] = {}  # channel → the newest message id taken (this process)
        self._resume_from: dict[int, int] = {}  # channel → the newest id taken before the connection (re)started
        self.caught_up = asyncio.Event()  # set after each catch-up pass (tests wait on it)

    # --- start-up ------------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        await self.refresh_bound()
        for channel_id in self.watched():  # where each channel was before this connection: catch up from there
            newest = await last_seen(self.db, channel_id)
            if newest is not None:
                self._resume_from[channel_id] = newest
        slash = optional_module("commands")
        if slash is not None and hasattr(slash, "setup_commands"):
            await _maybe_await(slash.setup_commands(self))
        self.hub.start()

    async def refresh_bound(self) -> None:
        """Re-read which channels are bound to a campaign."""
        if self.db is None:
            return
        rows = await self.db.fetch_all("SELECT channel_id FROM campaigns WHERE channel_id IS NOT NULL")
        before, self.bound = self.bound, {int(r["channel_id"]) for r in rows}
        for channel_id in self.bound - before:
            self.hub.rebound(channel_id)  # a session made while the channel had no campaign gives way

    def watched(self) -> set[int]:
        channel = getattr(self.settings, "bot_channel_id", None)
        return self.bound | ({channel} if channel else set())

    def watches(self, channel_id: int) -> bool:
        return channel_id in self.watched()

    # --- intake --------------------------------------------------------------------------------------

    def wants(self, message: discord.Message) -> bool:
        """A player's message in a watched channel (or a campaign-binding command in any guild channel)."""
        author = message.author
        if author.bot or message.webhook_id is not None or (self.user is not None and author.id == self.user.id):
            return False
        if message.guild is None:
            return False
        return self.watches(message.channel.id) or bool(_BINDING.match(message.content or ""))

    async def on_message(self, message: discord.Message) -> None:
        if self.wants(message):
            await self.take(message)

    async def take(self, message: discord.Message) -> None:
        """One player message through the hub; its immediate answer posted."""
        incoming = player_message(message)
        talk = not incoming.text.lstrip().startswith("!")
        if talk:
            self.start_typing(message.channel)
        try:
            replies = await self.receive(incoming)
        except Exception as exc:  # noqa: BLE001 - the database dropped, a bug: one friendly line, the bot goes on
            log.exception("message failed", extra={"channel_id": incoming.channel_id})
            replies = [TableReply("error", text=friendly_message(exc, context="the table"))]
        if not talk and _BINDING.match(incoming.text):
            try:
                await self.refresh_bound()  # before the answer is said: the channel is watched from then on
            except Exception:  # noqa: BLE001 - the binding is saved; the next refresh (a restart) picks it up
                log.exception("channel bindings not re-read", extra={"channel_id": incoming.channel_id})
        if replies:
            await self.send_replies(message.channel, replies, origin=message)
        elif talk and not self._thinking(incoming.channel_id):
            self.stop_typing(incoming.channel_id)

    async def receive(self, incoming: PlayerMessage) -> list[TableReply]:
        """One message into its channel's session, after the channel's earlier ones (a slash command's line too);
        returns what is answered at once. Raises what the session raises."""
        self._taken[incoming.channel_id] = max(self._taken.get(incoming.channel_id, 0), incoming.message_id)
        async with self._order.setdefault(incoming.channel_id, asyncio.Lock()):  # one channel: in arrival order
            return await self.hub.receive(incoming)

    def _thinking(self, channel_id: int) -> bool:
        """Whether the channel's session holds talk still to answer (unknown for a remote one: assume so)."""
        session = self.hub.sessions.get(channel_id)
        if session is None or not hasattr(session, "status"):
            return True
        status = session.status()
        return bool(status.get("pending") or status.get("in_flight"))

    # --- typing --------------------------------------------------------------------------------------

    def start_typing(self, channel: discord.abc.Messageable) -> None:
        """Show "typing…" in `channel` until its next answer is posted (or TYPING_MAX_S)."""
        channel_id = getattr(channel, "id", 0)
        if channel_id in self._typing and not self._typing[channel_id][1].done():
            return
        done = asyncio.Event()
        task = asyncio.create_task(self._type(channel, done), name=f"typing-{channel_id}")
        self._typing[channel_id] = (done, task)

    @staticmethod
    async def _type(channel: discord.abc.Messageable, done: asyncio.Event) -> None:
        try:
            async with channel.typing():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(done.wait(), TYPING_MAX_S)
        except discord.HTTPException as exc:  # typing is a courtesy: never let it fail a turn
            log.info("typing indicator failed", extra={"status": exc.status})

    def stop_typing(self, channel_id: int) -> None:
        found = self._typing.pop(channel_id, None)
        if found is not None:
            found[0].set()

    # --- replies -------------------------------------------------------------------------------------

    async def post_replies(self, channel_id: int, replies: list[TableReply]) -> None:
        """The hub's poster: a session's replies (a batch's answer, a turn clock's line) into their channel."""
        channel = self.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.fetch_channel(channel_id)
            except discord.HTTPException:
                log.warning("replies for an unknown channel dropped", extra={"channel_id": channel_id})
                return
        await self.send_replies(channel, replies)  # type: ignore[arg-type]

    async def send_replies(self, channel: discord.abc.Messageable, replies: Iterable[TableReply], *,
                           origin: discord.Message | None = None) -> list[discord.Message]:  # fmt: skip
        """Post `replies` in `channel` (private ones to their player); returns the messages posted."""
        posted: list[discord.Message] = []
        try:
            for reply in replies:
                try:
                    if await self._hooked(channel, reply, origin):
                        continue
                    parts = reply_parts(reply)
                except Exception:  # noqa: BLE001 - a rendering bug must not swallow the answer: its plain words
                    log.exception("rendering a reply failed; posting its plain text", extra={"kind": reply.kind})
                    parts = text_parts(reply)
                for part in parts:
                    posted.extend(await self._post_part(channel, part, origin))
        finally:
            self.stop_typing(getattr(channel, "id", 0))
        return posted

    async def _hooked(self, channel: Any, reply: TableReply, origin: discord.Message | None) -> bool:
        for name in _HOOK_MODULES:
            module = optional_module(name)
            hook = getattr(module, "post_reply", None) if module is not None else None
            if hook is not None and await _maybe_await(hook(self, channel, reply, origin)):
                return True
        return False

    async def _post_part(self, channel: Any, part: Any, origin: discord.Message | None) -> list[discord.Message]:
        content = getattr(part, "content", "") or ""
        embeds = list(getattr(part, "embeds", ()) or ())
        if getattr(part, "ephemeral", False):
            return await self._post_private(part, content, embeds, origin)
        return await self._send(channel, content, embeds)

    async def _send(self, target: Any, content: str, embeds: list[discord.Embed]) -> list[discord.Message]:
        pieces = split_message(content) if content else []
        posted = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            posted.append(await target.send(content=piece, embeds=embeds if last else []))
        if not pieces and embeds:
            posted.append(await target.send(embeds=embeds))
        return posted

    async def _post_private(self, part: Any, content: str, embeds: list[discord.Embed],
                            origin: discord.Message | None) -> list[discord.Message]:  # fmt: skip
        """A private answer goes to each player it is for by direct message (never to the channel)."""
        people = list(getattr(part, "visible_to", ()) or ())
        if not people and origin is not None:
            people = [origin.author.id]
        posted: list[discord.Message] = []
        for user_id in people:
            try:
                user = self.get_user(user_id) or await self.fetch_user(user_id)
                posted.extend(await self._send(user, content, embeds))
            except discord.HTTPException as exc:  # DMs closed: say so in the channel, without the secret
                log.info("private answer not delivered", extra={"status": exc.status})
        return posted

    # --- reconnects ----------------------------------------------------------------------------------

    async def on_ready(self) -> None:
        self._schedule_catch_up()

    async def on_resumed(self) -> None:
        self._schedule_catch_up()

    async def on_disconnect(self) -> None:
        """Remember where each channel was: the catch-up after the reconnect starts there, even if live messages
        are taken (and recorded) before it runs."""
        for channel_id, newest in self._taken.items():
            known = self._resume_from.get(channel_id)
            self._resume_from[channel_id] = newest if known is None else min(known, newest)

    def _schedule_catch_up(self) -> None:
        if self._catching_up is None or self._catching_up.done():
            self.caught_up.clear()
            self._catching_up = asyncio.create_task(self.catch_up(), name="history-catch-up")

    async def catch_up(self) -> int:
        """Feed every watched channel's missed messages through the intake; returns how many were taken."""
        taken = 0
        try:
            for channel_id in sorted(self.watched()):
                taken += await self._catch_up_channel(channel_id)
        finally:
            self.caught_up.set()
        return taken

    async def _catch_up_channel(self, channel_id: int) -> int:
        channel = self.get_channel(channel_id)
        if channel is None or not hasattr(channel, "history"):
            return 0
        taken = 0
        try:
            await self.hub.session(channel_id)  # a new session first answers what the database holds pending
            after = self._resume_from.pop(channel_id, None) or await last_seen(self.db, channel_id)
            async for message in missed_messages(channel, after):  # type: ignore[arg-type]
                if self.wants(message):
                    await self.take(message)
                    taken += 1
        except discord.HTTPException as exc:  # no Read Message History permission, an outage: next time
            log.warning("history catch-up failed", extra={"channel_id": channel_id, "status": exc.status})
        except Exception:  # noqa: BLE001 - the database or a session actor failed: the other channels still go
            log.exception("catch-up failed", extra={"channel_id": channel_id})
        if taken:
            log.info("missed messages taken from history", extra={"channel_id": channel_id, "count": taken})
        return taken

    # --- shutdown ------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop the sessions first (pending talk stays pending), then the Discord connection."""
        await self.hub.stop()
        for channel_id in list(self._typing):
            self.stop_typing(channel_id)
        if self._catching_up is not None and not self._catching_up.done():
            self._catching_up.cancel()
        await super().close()

"""NPC voices: an NPC's lines posted under the NPC's own name (and avatar) through a channel webhook.

A DM turn's reply carries its narrative split into narration and NPC lines (`TableReply.voices`, made by
`dm.speech` from the NPCs the party has met). `post_reply` posts those parts in order: narration as the bot,
each NPC line through the channel's webhook with `username` set to the NPC (and `avatar_url` when the bot
knows one: `bot.npc_avatars`, NPC name in lower case → image URL). The webhook is made once per channel
(named `WEBHOOK_NAME`, found again after a restart) and reused; making it needs the Manage Webhooks permission.
Without it (or when the webhook fails) an NPC line is plain text: `**Name:** line`. A streamed draft of the
narration (`gateway.discord.streaming`) becomes the first narration part, or is removed when an NPC speaks
first. The cited-sources footer rides on the last message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from dm.table import TableReply
from gateway.discord.splitting import split_message

__all__ = ["WEBHOOK_NAME", "avatar_for", "plain_line", "post_reply", "voice_name", "webhook_for"]

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Lorekeeper voices"
_NO_MENTIONS = discord.AllowedMentions.none()


def voice_name(name: str) -> str:
    """A name Discord accepts as a webhook username (1–80 characters, no "discord"/"clyde")."""
    cleaned = re.sub(r"(?i)discord|clyde", lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], name.strip())
    return (cleaned or "Someone")[:80]


def plain_line(name: str, text: str) -> str:
    """The fallback without a webhook: `**Name:** line`."""
    return f"**{name}:** {text}"


def avatar_for(bot: Any, name: str) -> str | None:
    avatars = getattr(bot, "npc_avatars", None) or {}
    return avatars.get(name.lower())


def _hooks(bot: Any) -> dict[int, Any]:
    found = getattr(bot, "_voice_webhooks", None)
    if found is None:
        found = {}
        bot._voice_webhooks = found  # noqa: SLF001 - one table per bot
    return found


async def webhook_for(bot: Any, channel: Any) -> discord.Webhook | None:
    """The channel's voice webhook (made once, then reused); None without Manage Webhooks."""
    hooks = _hooks(bot)
    channel_id = getattr(channel, "id", 0)
    if channel_id in hooks:
        return hooks[channel_id] or None
    hook = None
    guild = getattr(channel, "guild", None)
    me = getattr(guild, "me", None)
    if me is not None and hasattr(channel, "create_webhook") and channel.permissions_for(me).manage_webhooks:
        try:
            mine = getattr(bot.user, "id", None)
            found = [w for w in await channel.webhooks()
                     if w.name == WEBHOOK_NAME and getattr(w.user, "id", mine) == mine]  # fmt: skip
            hook = found[0] if found else await channel.create_webhook(name=WEBHOOK_NAME, reason="NPC voices")
        except discord.HTTPException as exc:  # Forbidden after all, or the channel's webhook limit
            log.info("no voice webhook; NPC lines go as plain text", extra={"status": exc.status})
            hook = None
    hooks[channel_id] = hook or False
    return hook


async def _say(bot: Any, channel: Any, name: str, text: str, embeds: list[discord.Embed]) -> None:
    hook = await webhook_for(bot, channel)
    pieces = split_message(text)
    if hook is not None:
        try:
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                await hook.send(content=piece, username=voice_name(name),
                                avatar_url=avatar_for(bot, name) or discord.utils.MISSING,
                                embeds=embeds if last else discord.utils.MISSING, allowed_mentions=_NO_MENTIONS,
                                wait=True)  # fmt: skip
            return
        except discord.HTTPException as exc:  # deleted meanwhile: forget it (the next turn makes a new one)
            log.info("voice webhook failed; plain text instead", extra={"status": exc.status})
            _hooks(bot).pop(getattr(channel, "id", 0), None)
    await _narrate(channel, plain_line(name, text), embeds)


async def _narrate(channel: Any, text: str, embeds: list[discord.Embed]) -> None:
    pieces = split_message(text)
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        await channel.send(content=piece, embeds=embeds if last else [], allowed_mentions=_NO_MENTIONS)


async def post_reply(bot: Any, channel: Any, reply: TableReply, origin: Any) -> bool:
    """The bot's hook: a narrative in which an NPC speaks is posted part by part (True); others are not ours."""
    voices = [(who, text) for who, text in reply.voices if text.strip()]
    if reply.kind != "narrative" or not any(who for who, _ in voices):
        return False
    from gateway.discord import streaming
    from gateway.discord.bot import reply_parts

    embeds = [e for p in reply_parts(reply) for e in (getattr(p, "embeds", ()) or ())][:10]
    stream = await streaming.take_stream(bot, getattr(channel, "id", 0))
    for i, (who, text) in enumerate(voices):
        last = i == len(voices) - 1
        shown = embeds if last else []
        if who is None and i == 0 and stream is not None and stream.message is not None:
            await stream.finish(text, shown)
            stream = None
        elif who is None:
            await _narrate(channel, text, shown)
        else:
            if stream is not None:
                await stream.discard()
                stream = None
            await _say(bot, channel, who, text, shown)
    return True

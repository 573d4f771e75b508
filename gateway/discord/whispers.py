"""Whispers: `!whisper TEXT` answered privately, and its words kept out of the channel.

The command layer answers a whisper with a `Whispered` result only its player may see (`visible_to`), and
`gateway.discord.render.message_parts` marks it `ephemeral`. The slash form `/whisper` is answered by an
ephemeral followup (`gateway.discord.commands`). The prefix form is this module's `post_reply` hook: the answer
goes to the player by direct message, the player's own `!whisper ...` message is removed from the channel
(needs Manage Messages; without it the message stays, which the player chose to type there), and when the
player's direct messages are closed the channel is told so in one line that carries nothing of the whisper.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import discord

from dm.table import TableReply
from gateway.discord.splitting import split_message

__all__ = ["DMS_CLOSED", "post_reply"]

log = logging.getLogger(__name__)

DMS_CLOSED = ("<@{user}>, I could not send you my answer by direct message (are direct messages from this "
              "server closed?). Nothing of your whisper was posted here; /whisper answers you privately in the "
              "channel.")  # fmt: skip
_WHISPER = re.compile(r"^\s*!whisper\b", re.IGNORECASE)


async def _direct(bot: Any, user_id: int, content: str, embeds: list[discord.Embed]) -> bool:
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        pieces = split_message(content) if content else []
        for i, piece in enumerate(pieces):
            await user.send(content=piece, embeds=embeds if i == len(pieces) - 1 else [])
        if not pieces and embeds:
            await user.send(embeds=embeds)
    except discord.HTTPException as exc:
        log.info("private answer not delivered", extra={"status": exc.status})
        return False
    return True


async def post_reply(bot: Any, channel: Any, reply: TableReply, origin: Any) -> bool:
    """The bot's hook for a private answer to a prefix message (True: handled, nothing in the channel)."""
    if origin is None:
        return False
    from gateway.discord.bot import reply_parts

    parts = [p for p in reply_parts(reply) if getattr(p, "ephemeral", False)]
    if not parts:
        return False
    author, told = origin.author.id, False
    for part in parts:
        people = list(getattr(part, "visible_to", ()) or ()) or [author]
        embeds = list(getattr(part, "embeds", ()) or ())
        for user_id in people:
            delivered = await _direct(bot, user_id, getattr(part, "content", "") or "", embeds)
            if not delivered and user_id == author and not told:
                told = True
                await channel.send(content=DMS_CLOSED.format(user=author),
                                   allowed_mentions=discord.AllowedMentions(users=True))  # fmt: skip
    if _WHISPER.match(getattr(origin, "content", "") or ""):
        with contextlib.suppress(discord.HTTPException):  # no Manage Messages: the player's words stay
            await origin.delete()
    return True

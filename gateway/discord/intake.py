"""From Discord to the table: a `discord.Message` becomes a `dm.table.PlayerMessage`, and the history a
disconnected bot missed is fetched and fed through the same exactly-once intake.

    message = player_message(discord_message)
    after = await last_seen(db, channel_id)       # the newest player message id the message log holds
    async for missed in missed_messages(channel, after): ...

Exactly-once is the table's and the session's job (the message id is the key in the message log), so feeding
a message twice — a gateway redelivery, or a history fetch overlapping what the gateway did deliver — answers
it once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord

from dm.table import PlayerMessage

__all__ = ["HISTORY_LIMIT", "last_seen", "missed_messages", "player_message"]

HISTORY_LIMIT = 200  # missed messages fetched per channel after a reconnect (older ones are left alone)


def player_message(message: discord.Message) -> PlayerMessage:
    """The table's view of a Discord message: ids, the author's display name, the text."""
    author = message.author
    name = getattr(author, "display_name", None) or author.name
    return PlayerMessage(message.channel.id, message.id, author.id, str(name), message.content or "")


async def last_seen(db: Any, channel_id: int) -> int | None:
    """The newest player message id recorded for `channel_id` (None: nothing recorded yet)."""
    if db is None:
        return None
    row = await db.fetch_one(
        "SELECT max(discord_message_id) AS last FROM message_history "
        "WHERE channel_id = %s AND NOT from_dm AND discord_message_id > 0",
        (channel_id,),
    )
    return None if row is None or row["last"] is None else int(row["last"])


async def missed_messages(channel: discord.abc.Messageable, after: int | None,
                          limit: int = HISTORY_LIMIT) -> AsyncIterator[discord.Message]:  # fmt: skip
    """Messages posted in `channel` after the id `after`, oldest first (None: nothing is fetched — a channel
    the bot never heard from has no history it owes an answer to)."""
    if after is None:
        return
    async for message in channel.history(limit=limit, after=discord.Object(id=after), oldest_first=True):
        yield message

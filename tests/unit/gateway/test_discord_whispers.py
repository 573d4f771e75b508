"""A prefix whisper's private answer (gateway.discord.whispers) when the player's direct messages are closed:
the channel is told in one line that carries nothing of the whisper, and the `!whisper` message is removed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord

from dm.commands.whisper import Whispered
from dm.table import TableReply
from gateway.discord.whispers import DMS_CLOSED, post_reply

SECRET = "I slip the ruby into my boot"
ANSWER = "Nobody sees the ruby vanish."


class Closed:
    async def send(self, **kwargs: Any) -> None:
        raise discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"), "Cannot send messages to this user")


class Channel:
    def __init__(self) -> None:
        self.said: list[str] = []

    async def send(self, content: str = "", **kwargs: Any) -> None:
        self.said.append(content)


class Origin:
    def __init__(self) -> None:
        self.author, self.content, self.deleted = SimpleNamespace(id=5), f"!whisper {SECRET}", False

    async def delete(self) -> None:
        self.deleted = True


def _whisper() -> TableReply:
    result = Whispered(player_id=5, player="mira", said=SECRET, answer=ANSWER, visible_to=(5,))
    return TableReply("whisper", result)


async def test_closed_direct_messages_are_said_without_the_secret() -> None:
    bot, channel, origin = SimpleNamespace(get_user=lambda _id: Closed()), Channel(), Origin()
    assert await post_reply(bot, channel, _whisper(), origin) is True
    assert channel.said == [DMS_CLOSED.format(user=5)]
    assert "ruby" not in channel.said[0].lower() and origin.deleted


async def test_public_replies_and_slash_answers_are_not_this_hooks() -> None:
    bot, channel = SimpleNamespace(get_user=lambda _id: Closed()), Channel()
    assert await post_reply(bot, channel, TableReply("narrative", text="Rain."), Origin()) is False
    assert await post_reply(bot, channel, _whisper(), None) is False
    assert channel.said == []

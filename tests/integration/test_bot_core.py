"""The bot's core against the Discord stand-in: intake, channel filtering, replies, typing, exactly-once."""

from __future__ import annotations

from discord_bot_fixture import CHANNEL, BotRig, discord_bot  # noqa: F401 - the fixture
from discord_standin import text_of


async def test_a_roll_in_the_bot_channel_is_answered(discord_bot: BotRig) -> None:
    said = await discord_bot.answer(CHANNEL, "mira", "!roll 1d20")
    assert "1d20" in text_of(said[0]) and "mira" in text_of(said[0]).lower(), said
    assert not discord_bot.standin.unknown

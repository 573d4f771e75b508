"""The bot's core against the Discord stand-in: intake, channel filtering, replies, typing, exactly-once,
reconnects that catch up from channel history, and a shutdown that leaves pending talk pending.

One bot serves the module (`discord_bot`); tests use their own words so they do not see each other's answers.
"""

from __future__ import annotations

import asyncio

import discord

from discord_bot_fixture import (CHANNEL, ELSEWHERE, NARRATION, QUIET, TAVERN, BotRig, bot_rig,
                                 discord_bot)  # noqa: F401 - the fixture
from discord_standin import BOT_ID, text_of
from dm.table import TableReply
from persistence.messages import MessageLog


async def test_a_roll_in_the_bot_channel_is_answered(discord_bot: BotRig) -> None:
    said = await discord_bot.answer(CHANNEL, "mira", "!roll 1d20")
    assert "1d20" in text_of(said[0]) and "mira" in text_of(said[0]).lower(), said
    assert not discord_bot.standin.unknown
    intents = discord.Intents._from_value(discord_bot.standin.identify["intents"])  # noqa: SLF001
    assert intents.message_content and intents.guilds and intents.guild_messages


async def test_only_watched_channels_are_answered_and_bots_are_ignored(discord_bot: BotRig) -> None:
    rig = discord_bot
    said = await rig.answer(TAVERN, "bram", "!roll 1d6")  # bound to a campaign: answered, no @mention needed
    assert "1d6" in text_of(said[0])
    ignored = await rig.say(ELSEWHERE, "bram", "!roll 1d8")
    robot = rig.standin.user("otherbot", bot=True)
    await rig.standin.say(CHANNEL, robot, "!roll 1d10")
    await rig.settle(0.4)
    assert rig.standin.sent(ELSEWHERE) == []
    assert not any("1d10" in text_of(m) for m in rig.standin.sent(CHANNEL))
    assert await MessageLog(rig.db).get(ignored) is None  # never reached the table


async def test_load_campaign_binds_a_new_channel_which_is_then_answered(discord_bot: BotRig) -> None:
    from persistence.play_state import PlayStateRepository

    rig = discord_bot
    await PlayStateRepository(rig.db).create_campaign("Side Quest")
    refused = await rig.answer(QUIET, "bram", "!load_campaign Side Quest")  # owner-only: a refusal, still said
    assert "owner" in text_of(refused[0]).lower()
    assert QUIET not in rig.bot.watched()
    bound = await rig.answer(QUIET, "owner", "!load_campaign Side Quest")
    assert "Side Quest" in text_of(bound[0])
    assert QUIET in rig.bot.watched()
    said = await rig.answer(QUIET, "bram", "!roll 2d4")
    assert "2d4" in text_of(said[0])


async def test_a_redelivered_message_is_answered_once(discord_bot: BotRig) -> None:
    rig = discord_bot
    before = len(rig.standin.sent(CHANNEL))
    mid = await rig.say(CHANNEL, "mira", "!roll 3d6")
    await rig.standin.wait_sent(CHANNEL, before + 1)
    await rig.standin.redeliver(CHANNEL, mid)
    await rig.standin.redeliver(CHANNEL, mid)
    await rig.settle(0.4)
    assert sum("3d6" in text_of(m) for m in rig.standin.sent(CHANNEL)) == 1


async def test_plain_talk_shows_typing_then_one_narration(discord_bot: BotRig) -> None:
    rig = discord_bot
    typing_before = rig.standin.typing(TAVERN)
    mid = await rig.say(TAVERN, "bram", "I shake the rain off my cloak and look around the common room.")
    said = await rig.standin.wait_until(lambda: [m for m in rig.standin.sent(TAVERN) if NARRATION in text_of(m)],
                                        what="the narration")  # fmt: skip
    assert rig.standin.typing(TAVERN) > typing_before
    await rig.standin.redeliver(TAVERN, mid)
    await rig.settle(0.8)  # longer than the batch window: a second turn would have been posted by now
    assert len([m for m in rig.standin.sent(TAVERN) if NARRATION in text_of(m)]) == len(said) == 1
    stored = await MessageLog(rig.db).get(mid)
    assert stored is not None and stored.processed


async def test_a_long_reply_is_split_on_paragraphs_in_order(discord_bot: BotRig) -> None:
    rig = discord_bot
    paragraphs = [f"Paragraph {i}: " + "the tide rolls in over the drowned stones. " * 20 for i in range(6)]
    channel = rig.bot.get_channel(CHANNEL)
    before = len(rig.standin.sent(CHANNEL))
    await rig.bot.send_replies(channel, [TableReply("narrative", text="\n\n".join(paragraphs))])
    posted = rig.standin.sent(CHANNEL)[before:]
    assert len(posted) > 1 and all(len(m["content"]) <= 2000 for m in posted)
    assert [p.strip() for m in posted for p in m["content"].split("\n\n")] == [p.strip() for p in paragraphs]


async def test_a_rate_limited_post_waits_and_is_sent_once(discord_bot: BotRig) -> None:
    rig = discord_bot
    rig.standin.rate_limit(1, retry_after=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    said = await rig.answer(CHANNEL, "mira", "!roll 1d100")
    assert len(rig.standin.limited) == 1 and loop.time() - started >= 0.3  # discord.py waited as told
    assert sum("1d100" in text_of(m) for m in rig.standin.sent(CHANNEL)) == 1 and "1d100" in text_of(said[0])


async def test_a_reconnect_fetches_missed_messages_and_answers_each_once(discord_bot: BotRig) -> None:
    rig = discord_bot
    await rig.answer(CHANNEL, "mira", "!roll 1d12")  # the message log now knows where this channel was
    resumes = rig.standin.resumes
    await rig.standin.drop()
    missed = [await rig.say(CHANNEL, "mira", "!roll 1d4+1"), await rig.say(CHANNEL, "bram", "!roll 1d4+2")]
    await rig.say(ELSEWHERE, "bram", "!roll 1d4+3")  # missed too, but not a watched channel
    assert not rig.standin.connected
    rig.bot.caught_up.clear()
    rig.standin.reopen()
    await rig.standin.wait_until(lambda: rig.standin.resumes > resumes, what="a RESUME")
    await asyncio.wait_for(rig.bot.caught_up.wait(), 10)
    texts = [text_of(m) for m in rig.standin.sent(CHANNEL)]
    assert sum("1d4+1" in t or "1d4 + 1" in t for t in texts) == 1
    assert sum("1d4+2" in t or "1d4 + 2" in t for t in texts) == 1
    assert rig.standin.sent(ELSEWHERE) == []
    for mid in missed:  # the gateway delivering them late too changes nothing
        await rig.standin.redeliver(CHANNEL, mid)
    rig.bot.caught_up.clear()
    await rig.bot.catch_up()  # and a second catch-up finds nothing new
    await rig.settle(0.3)
    assert [text_of(m) for m in rig.standin.sent(CHANNEL)] == texts


async def test_a_live_message_right_after_the_reconnect_does_not_hide_a_missed_one(discord_bot: BotRig) -> None:
    rig = discord_bot
    await rig.answer(TAVERN, "bram", "!roll 1d10")
    await rig.standin.drop()
    await rig.say(TAVERN, "bram", "!roll 2d10+1")  # missed: only in the channel's history
    rig.bot.caught_up.clear()
    rig.standin.reopen()
    await rig.standin.ready.wait()
    await rig.say(TAVERN, "bram", "!roll 2d10+2")  # live, maybe recorded before the catch-up reads anything
    await asyncio.wait_for(rig.bot.caught_up.wait(), 10)
    await rig.standin.wait_until(lambda: sum(("2d10+1" in text_of(m) or "2d10 + 1" in text_of(m))
                                             for m in rig.standin.sent(TAVERN)) == 1, what="the missed roll")
    texts = [text_of(m) for m in rig.standin.sent(TAVERN)]
    assert sum("2d10+2" in t or "2d10 + 2" in t for t in texts) == 1


async def test_shutdown_leaves_open_talk_pending_and_the_next_start_answers_it(db: object) -> None:
    async with bot_rig(db) as rig:
        standin = rig.standin
        mid = await rig.say(TAVERN, "bram", "We wait by the door for the storm to pass.")
        await standin.wait_until(lambda: standin.typing(TAVERN), what="typing")
        log = MessageLog(db)
        for _ in range(100):  # recorded by the session (pending), the batch window still open
            if await log.get(mid) is not None:
                break
            await asyncio.sleep(0.01)
    # closed inside the batch window: nothing narrated, the message still pending in the database
    assert not [m for m in standin.sent(TAVERN) if NARRATION in text_of(m)]
    pending = await MessageLog(db).pending(TAVERN)
    assert [p.discord_message_id for p in pending] == [mid]
    async with bot_rig(db, empty=False) as again:  # a fresh bot recovers it: answered once
        said = await again.standin.wait_until(
            lambda: [m for m in again.standin.sent(TAVERN) if NARRATION in text_of(m)], what="the narration")
        await again.settle(0.6)
        assert len([m for m in again.standin.sent(TAVERN) if NARRATION in text_of(m)]) == len(said) == 1
        assert all(m["author"]["id"] == str(BOT_ID) for m in said)
    assert await MessageLog(db).pending(TAVERN) == []

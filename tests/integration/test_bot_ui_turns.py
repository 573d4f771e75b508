"""DM turns through the bot's UI hooks, against the Discord stand-in: an NPC's line through the channel
webhook (made once, reused; plain `**Name:**` text without one), a whisper that never reaches the channel,
and narration streamed by editing one message until it holds the settled text.

Each test has its own bot (`bot_rig`) because each needs its own scripted model replies.
"""

from __future__ import annotations

from typing import Any

from discord_bot_fixture import CHANNEL, TAVERN, bot_rig, narration
from discord_standin import BOT_ID, text_of

MIRELA = 'Mirela Voss looks up from the great lamp. "It went dark three nights ago," she says.'
MIRELA_LINE = "It went dark three nights ago."
RUBY_ANSWER = "Nobody sees the ruby slide into your boot; the argument rolls on without you."
STREAMED = ("The fog parts slowly around the hull of the Drowned Lantern, and the old timbers groan as the tide "
            "turns beneath them. Somewhere below, water drips in a patient rhythm, and a lantern swings on its "
            "hook, throwing long shadows across the deck where the crew once slept.")  # fmt: skip


def webhook_posts(standin: Any, channel: int) -> list[dict[str, Any]]:
    return [m for m in standin.history.get(channel, []) if "webhook_id" in m and m["author"]["id"] != str(BOT_ID)]


async def test_an_npc_speaks_through_the_channel_webhook_made_once(db: Any) -> None:
    meet = narration(MIRELA, effects=[{"kind": "npc_introduce", "name": "Mirela Voss", "description": "lamp keeper"}])
    streamed = {"reply": meet, "token_delay_s": 0.03}  # its draft becomes the narration part, never a copy
    async with bot_rig(db, script=[streamed, narration(MIRELA)]) as rig:
        await rig.say(TAVERN, "voice_bram", "I ask the keeper what happened to the light.")
        voiced = await rig.standin.wait_until(lambda: webhook_posts(rig.standin, TAVERN), what="Mirela's voice")
        assert voiced[0]["author"]["username"] == "Mirela Voss" and voiced[0]["content"] == MIRELA_LINE
        own = [m for m in rig.standin.sent(TAVERN) if "webhook_id" not in m]
        said = [text_of(m) for m in own]
        assert [m["content"] for m in own if m.get("edited_timestamp")] == ["Mirela Voss looks up from the great lamp."]
        assert not any(MIRELA_LINE in t for t in said)  # the line is spoken once, by her
        await rig.say(TAVERN, "voice_bram", "And before that?")
        await rig.standin.wait_until(lambda: len(webhook_posts(rig.standin, TAVERN)) >= 2, what="her second line")
        made = [r for r in rig.standin.requests if r.method == "POST" and r.path == f"/channels/{TAVERN}/webhooks"]
        assert len(made) == 1
        rig.bot._voice_webhooks[TAVERN] = False  # noqa: SLF001 - as without Manage Webhooks
        await rig.say(TAVERN, "voice_bram", "Thank you, Mirela.")
        plain = await rig.standin.wait_until(
            lambda: [m for m in rig.standin.sent(TAVERN) if f"**Mirela Voss:** {MIRELA_LINE}" in (m["content"] or "")],
            what="the plain fallback")  # fmt: skip
        assert "webhook_id" not in plain[0]
        assert not rig.standin.unknown


async def test_a_whisper_is_answered_by_direct_message_and_nothing_of_it_stays_in_the_channel(db: Any) -> None:
    streamed = {"reply": narration(RUBY_ANSWER), "token_delay_s": 0.02}  # a draft would show in the channel
    async with bot_rig(db, script=[streamed]) as rig:
        secret = "I slip the ruby into my boot while the others argue"
        user = rig.user("whisper_mira")
        mid = await rig.say(CHANNEL, "whisper_mira", f"!whisper {secret}")
        dms = await rig.standin.wait_until(lambda: rig.standin.dms(int(user["id"])), what="the private answer")
        assert RUBY_ANSWER in "\n".join(text_of(m) for m in dms)
        await rig.standin.wait_until(lambda: rig.standin._find(CHANNEL, mid) is None,  # noqa: SLF001
                                     what="the !whisper message removed")  # fmt: skip
        await rig.settle(0.3)
        channel_text = "\n".join(text_of(m) for m in rig.standin.history[CHANNEL])
        assert RUBY_ANSWER not in channel_text and "ruby" not in channel_text.lower()


async def test_narration_streams_by_edits_and_ends_with_the_settled_text(db: Any) -> None:
    streamed = {"reply": narration(STREAMED), "token_delay_s": 0.1}
    async with bot_rig(db, script=[streamed]) as rig:
        await rig.say(TAVERN, "stream_bram", "We row towards the wreck.")
        first = await rig.standin.wait_until(lambda: rig.standin.sent(TAVERN), what="the first draft")
        draft = first[-1]
        assert draft["content"].endswith("…") and STREAMED.startswith(draft["content"][:-2])
        path = f"/channels/{TAVERN}/messages/{draft['id']}"

        def settled() -> bool:
            now = rig.standin._find(TAVERN, int(draft["id"]))  # noqa: SLF001
            return now is not None and now["content"] == STREAMED

        await rig.standin.wait_until(settled, timeout=15, what="the settled narration")
        edits = [r for r in rig.standin.requests if r.method == "PATCH" and r.path == path]
        assert len(edits) >= 2, edits
        await rig.settle(0.3)
        shown = [m["id"] for m in rig.standin.sent(TAVERN) if STREAMED[:40] in text_of(m)]
        assert shown == [draft["id"]]  # one message, edited: never a second copy

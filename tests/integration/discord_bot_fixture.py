"""A logged-in `LorekeeperBot` against the Discord stand-in, on the embedded PostgreSQL, with the scripted model.

    from discord_bot_fixture import CHANNEL, TAVERN, ELSEWHERE, discord_bot  # noqa: F401 - the fixture
    async def test_it(discord_bot):
        rig = discord_bot
        said = await rig.answer(CHANNEL, "mira", "!roll 1d20")     # → the bot's new messages (stand-in dicts)

`discord_bot` (module scope: one bot per test module, ~1 s to start) gives a `BotRig`: the stand-in, the bot
(`rig.bot`, its `table`, its `hub`), the database, the scripted backend (`rig.backend.requests`), and two
campaigns: "Bot Keep" bound to BOT_CHANNEL_ID (`CHANNEL`) and "Tavern Tales" bound to `TAVERN`; `ELSEWHERE`
and `QUIET` are guild channels bound to nothing. OWNER_ID is the stand-in's user "owner". The play tables are emptied
when the rig starts. Sessions run in-process on the real clock with a short batch window (`BATCH_WINDOW_S`).

`bot_rig(db, ...)` is the same as an async context manager, for a test that needs its own bot (a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from discord_standin import OWNER_ID, DiscordStandIn

__all__ = ["BATCH_WINDOW_S", "CHANNEL", "ELSEWHERE", "NARRATION", "QUIET", "TAVERN", "BotRig", "bot_rig", "discord_bot"]

CHANNEL = 910_000_000_000_000_001  # BOT_CHANNEL_ID
TAVERN = 910_000_000_000_000_002  # bound to "Tavern Tales"
ELSEWHERE = 910_000_000_000_000_003  # bound to nothing
QUIET = 910_000_000_000_000_004  # bound to nothing (a test may bind it)
BATCH_WINDOW_S = 0.4
NARRATION = "Rain drums on the shutters of the Drowned Lantern as the fire gutters low."
_PLAY_TABLES = (
    "message_history", "dm_turns", "events", "combatants", "combats", "creatures", "characters", "world_state",
    "story_hooks", "plot_threads", "npcs", "location_connections", "locations", "campaign_chunks",
    "campaign_documents", "campaigns", "player_last_seen",
)  # as tests/conftest.py PLAY_TABLES


def narration(text: str = NARRATION, **extra: Any) -> dict[str, Any]:
    """A scripted DM-turn reply."""
    return {"narrative": text, "rolls": [], "rule_lookups": [], "effects": [], **extra}


@dataclass
class BotRig:
    standin: DiscordStandIn
    bot: Any
    db: Any
    backend: Any
    campaigns: dict[str, Any] = field(default_factory=dict)

    def user(self, name: str) -> dict[str, Any]:
        return self.standin.user(name, OWNER_ID if name == "owner" else None)

    async def say(self, channel: int, who: str, text: str, **kwargs: Any) -> int:
        return await self.standin.say(channel, self.user(who), text, **kwargs)

    async def answer(self, channel: int, who: str, text: str, count: int = 1,
                     timeout: float = 10.0) -> list[dict[str, Any]]:  # fmt: skip
        """Say `text` and wait for `count` new bot messages in `channel`; returns the new ones."""
        before = len(self.standin.sent(channel))
        await self.say(channel, who, text)
        posted = await self.standin.wait_sent(channel, before + count, timeout)
        return posted[before:]

    async def settle(self, seconds: float = 0.3) -> None:
        """Let the bot work a moment (for asserting that nothing more is posted)."""
        await asyncio.sleep(seconds)


async def _empty(db: Any) -> None:
    await db.execute("TRUNCATE " + ", ".join(_PLAY_TABLES) + " RESTART IDENTITY CASCADE")


@contextlib.asynccontextmanager
async def bot_rig(db: Any, *, standin: DiscordStandIn | None = None, script: list[dict[str, Any]] | None = None,
                  empty: bool = True, rules: Any = None, seed: int = 7, sessions: Any = None,
                  **settings: Any) -> AsyncIterator[BotRig]:  # fmt: skip
    """A started stand-in (unless given) and a logged-in bot on it; both stopped at the end. `sessions`:
    `build_bot`'s session factory maker (default: in-process sessions); `settings`: Settings overrides."""
    import discord.http
    import yarl
    from discord.gateway import DiscordWebSocket

    from dm.session import SessionConfig
    from gateway.commands.bot import build_bot
    from gateway.settings import load_settings
    from inference.scripted import ScriptedBackend
    from persistence.play_state import PlayStateRepository

    own = standin is None
    if standin is None:
        standin = DiscordStandIn({CHANNEL: "lorekeeper", TAVERN: "tavern", ELSEWHERE: "off-topic", QUIET: "quiet"})
        await standin.start()
    campaigns: dict[str, Any] = {}
    repo = PlayStateRepository(db)
    if empty:
        await _empty(db)
        for name, channel in (("Bot Keep", CHANNEL), ("Tavern Tales", TAVERN)):
            campaign = await repo.create_campaign(name)
            campaigns[name] = await repo.bind_channel(campaign.id, channel)
    saved = (discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    discord.http.Route.BASE = standin.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)
    backend = ScriptedBackend(script or [narration()])
    config = SessionConfig(batch_window_s=BATCH_WINDOW_S, batch_cap_s=3.0)
    values = {"discord_token": "standin-token", "bot_channel_id": CHANNEL, "owner_id": OWNER_ID} | settings
    bot = await build_bot(load_settings(**values), db, backend=backend, llm="scripted:standin", rules=rules,
                          seed=seed, config=config, tick_s=0.05, sessions=sessions,
                          guild_ready_timeout=0.05)  # fmt: skip
    connecting: asyncio.Task[None] | None = None
    try:
        await bot.login("standin-token")
        connecting = asyncio.create_task(bot.connect(reconnect=True))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        await asyncio.wait_for(bot.caught_up.wait(), 10)
        yield BotRig(standin, bot, db, backend, campaigns)
    finally:
        if not bot.is_closed():
            await bot.close()
        if connecting is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connecting, 10)
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        if own:
            await standin.stop()


@pytest.fixture(scope="module")
async def discord_bot(db: Any) -> AsyncIterator[BotRig]:
    """One bot for the whole test module (see the module docstring)."""
    async with bot_rig(db) as rig:
        yield rig

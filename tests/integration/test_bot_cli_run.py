"""`lorekeeper bot --no-ray` as the CLI runs it (`gateway.commands.bot._run`): settings → database → bot, logged in
to the Discord stand-in, answering in BOT_CHANNEL_ID with the scripted model until it is closed."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from discord_bot_fixture import CHANNEL, NARRATION, narration
from discord_standin import OWNER_ID, DiscordStandIn, text_of
from persistence.play_state import PlayStateRepository


async def test_the_cli_bot_runs_answers_and_closes(db: Any, embedded_pg: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from gateway.commands.bot import _run
    from gateway.settings import load_settings

    await db.execute("TRUNCATE message_history, dm_turns, characters, campaigns RESTART IDENTITY CASCADE")
    repo = PlayStateRepository(db)
    await repo.bind_channel((await repo.create_campaign("CLI Keep")).id, CHANNEL)
    standin = DiscordStandIn({CHANNEL: "lorekeeper"})
    await standin.start()
    standin.patch(monkeypatch)
    monkeypatch.setenv("METRICS_PORT", "0")
    script = tmp_path / "dm.jsonl"
    script.write_text(json.dumps(narration()) + "\n")
    settings = load_settings(discord_token="standin-token", bot_channel_id=CHANNEL, owner_id=OWNER_ID,
                             database_url=embedded_pg, batch_window_s=0.3)  # fmt: skip
    args = argparse.Namespace(no_ray=True, address=None, llm=f"scripted:{script}", seed=7, no_rules=True)
    bots: list[Any] = []
    running = asyncio.create_task(_run(args, settings, on_start=bots.append))
    try:
        await standin.wait_until(lambda: standin.connected or running.done(), what="the bot to connect")
        mira = standin.user("mira")
        await standin.say(CHANNEL, mira, "!roll 1d20+2")
        await standin.say(CHANNEL, mira, "I listen at the cellar door.")
        await standin.wait_until(lambda: any(NARRATION in text_of(m) for m in standin.sent(CHANNEL)),
                                 what="the narration")  # fmt: skip
        assert "1d20" in text_of(standin.sent(CHANNEL)[0])
    finally:
        if bots:
            await bots[0].close()
        code = await asyncio.wait_for(running, 20)
        await standin.stop()
    assert code == 0 and bots[0].is_closed()


@pytest.mark.parametrize(("standin_options", "says"), [
    ({"token": "the-real-token"}, "Discord refused DISCORD_TOKEN"),
    ({"message_content_allowed": False}, "turn on the Message Content intent"),
])  # fmt: skip
async def test_discord_refusing_the_bot_is_a_friendly_error(standin_options: dict[str, Any], says: str, db: Any,
                                                            embedded_pg: str, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from gateway.commands.bot import _run
    from gateway.settings import load_settings

    standin = DiscordStandIn({CHANNEL: "lorekeeper"}, **standin_options)
    await standin.start()
    standin.patch(monkeypatch)
    monkeypatch.setenv("METRICS_PORT", "0")
    settings = load_settings(discord_token="standin-token", bot_channel_id=CHANNEL, database_url=embedded_pg)
    script = tmp_path / "dm.jsonl"
    script.write_text(json.dumps(narration()) + "\n")
    args = argparse.Namespace(no_ray=True, address=None, llm=f"scripted:{script}", seed=None, no_rules=True)
    try:
        code = await asyncio.wait_for(_run(args, settings), 30)
    finally:
        await standin.stop()
    assert code == 2
    err = capsys.readouterr().err
    assert says in err and "standin-token" not in err

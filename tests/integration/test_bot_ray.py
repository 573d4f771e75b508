"""`lorekeeper bot --address auto`: the bot joins a cluster `ray start --head` started and plays through
`SessionActor`s (SessionDirector + RemoteSession), against the Discord stand-in, with the scripted model.

Slow (Ray starts as a separate cluster, ~30 s). It runs the CLI's own Ray wiring (`gateway.commands.bot._on_ray`)
in this process, so the bot can talk to the stand-in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from discord_bot_fixture import CHANNEL, NARRATION, bot_rig, narration
from discord_standin import OWNER_ID, text_of

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

RAY = str(Path(sys.executable).parent / "ray")


@pytest.fixture(scope="module")
def ray_head() -> Iterator[None]:
    """`ray start --head` (two CPUs, no dashboard), stopped afterwards."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    command = [RAY, "start", "--head", "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"]
    started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    if started.returncode != 0:
        pytest.fail(f"ray start --head failed: {started.stderr[-2000:]}")
    try:
        yield
    finally:
        subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120, check=False)


async def test_the_bot_on_a_joined_cluster_answers_through_session_actors(ray_head: None, db: Any, embedded_pg: str,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    import ray

    from gateway.commands.bot import _leave_ray, _on_ray
    from gateway.settings import load_settings

    script = tmp_path / "dm.jsonl"
    script.write_text(json.dumps(narration()) + "\n")
    args = argparse.Namespace(address="auto", llm=f"scripted:{script}", seed=7, no_rules=True)
    settings = load_settings(database_url=embedded_pg, batch_window_s=0.5, batch_cap_s=3.0, owner_id=OWNER_ID)
    extra = _on_ray(args, settings)
    try:
        assert ray.is_initialized() and extra["vllm"] is None  # no GPU here: no vLLM actor
        async with bot_rig(db, sessions=extra["sessions"]) as rig:
            said = await rig.answer(CHANNEL, "mira", "!roll 1d20", timeout=60)
            assert "1d20" in text_of(said[0])
            assert type(rig.bot.hub.sessions[CHANNEL]).__name__ == "RemoteSession"
            refused = await rig.answer(CHANNEL, "mira", "!skip", timeout=30)
            assert "owner" in text_of(refused[0]).lower()
            owners = await rig.answer(CHANNEL, "owner", "!skip", timeout=30)  # OWNER_ID reaches the actor's table
            assert "owner" not in text_of(owners[0]).lower(), text_of(owners[0])
            await rig.say(CHANNEL, "mira", "I light a lantern and peer into the dark.")
            await rig.standin.wait_until(lambda: any(NARRATION in text_of(m) for m in rig.standin.sent(CHANNEL)),
                                         timeout=60, what="the narration from the session actor")  # fmt: skip
            assert rig.standin.typing(CHANNEL) >= 1
    finally:
        _leave_ray(extra)

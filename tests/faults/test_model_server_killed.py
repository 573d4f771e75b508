"""The model server is killed in the middle of a DM turn: the router falls back (here to Gemini's stand-in),
the player gets an answer, the turn is stored once and no message is lost; the supervisor brings vLLM back.
The "vLLM server" is the real stand-in process (tests/integration/fake_vllm_server.py) under the real
VLLMServerManager; the turn runs on the real Table and PostgreSQL. Slow part (`make test-faults`)."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest

from dm.table import PlayerMessage, Table
from dm.turn import DMTurn
from faults.fault_helpers import FAKE_SECRETS, record_output
from inference.gemini_backend import GeminiBackend, GeminiConfig
from inference.router import Router, RouterConfig
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference.vllm_server import VLLMServerManager
from inference_standins import GeminiStandIn  # noqa: E402 - tests/integration, put on sys.path by fault_helpers
from persistence.messages import MessageLog
from test_inference_vllm_server import config, wait_for  # noqa: E402
from test_turn_grounding import party  # noqa: E402

pytestmark = pytest.mark.faults
GEMINI_REPLY = {"narrative": "The lantern gutters; the fallback storyteller goes on.", "rolls": [],
                "rule_lookups": [], "effects": []}  # fmt: skip


async def test_the_model_server_killed_mid_turn_the_fallback_answers_and_nothing_is_lost(keep: Any) -> None:
    await party(keep)
    manager = VLLMServerManager(config(model="stand-in/llama", env=(("FAKE_VLLM_CHAT_DELAY", "30"),),
                                       restart_backoff_s=(0.5,)))  # fmt: skip
    gemini = GeminiStandIn()
    gemini.reply = dict(GEMINI_REPLY)
    await gemini.start()
    await manager.start()
    router = Router({
        "vllm": VLLMBackend(VLLMBackendConfig(port=manager.config.port, served_model="stand-in/llama", timeout_s=60)),
        "gemini": GeminiBackend(GeminiConfig(api_key=FAKE_SECRETS["GEMINI_API_KEY"],
                                             base_url=f"http://127.0.0.1:{gemini.port}", timeout_s=10)),
    }, RouterConfig(retry_jitter_s=0.01, attempt_timeout_s=60))
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3, narrator=DMTurn(router))
    try:
        first_pid = manager.pid
        turn = asyncio.create_task(table.handle(PlayerMessage(keep.channel, 610_001, 31, "brakka",
                                                              "I light the lantern and step inside.")))
        await wait_for(lambda: any("chat request received" in line for line in manager.status()["log_tail"]), 30)
        os.killpg(first_pid, signal.SIGKILL)  # mid-turn: the model server dies with the request in flight
        replies = await asyncio.wait_for(turn, 60)
        record_output("model-killed", "\n".join(r.text or "" for r in replies))
        assert [r.text for r in replies] == [GEMINI_REPLY["narrative"]]
        assert len(gemini.requests) == 1
        row = await keep.db.fetch_one("SELECT processed, turn_id FROM message_history WHERE discord_message_id = %s",
                                      (610_001,))  # fmt: skip
        assert row is not None and row["processed"] and row["turn_id"] is not None
        assert await keep.db.fetch_value("SELECT count(*) FROM dm_turns") == 1
        assert await keep.db.fetch_value("SELECT backend FROM dm_turns") == "gemini"
        await wait_for(lambda: manager.restarts == 1 and manager.state == "healthy", 30)  # the supervisor's work
        assert manager.pid != first_pid
        again = await table.handle(PlayerMessage(keep.channel, 610_001, 31, "brakka",
                                                 "I light the lantern and step inside."))
        assert [r.replayed for r in again] == [True] and len(gemini.requests) == 1  # redelivered: not re-asked
    finally:
        await router.close()
        await manager.stop()
        await gemini.stop()

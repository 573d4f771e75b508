"""Monitoring fed by the real pipeline: a session on a table from `open_table`, the real PostgreSQL, a router whose
first backend times out. Counters are process-wide, so each check is a difference from before the game."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dm.table import PlayerMessage
from gateway.observability import install_observers
from gateway.render.text import render_text
from monitoring import metrics
from monitoring_play import CAMPAIGN_LABEL, play_with_fallback  # noqa: E402 - tests/integration is on sys.path
from persistence.errors import DatabaseUnavailable


def _counts() -> dict[str, float]:
    c = CAMPAIGN_LABEL
    return {
        "commands": metrics.sample("lorekeeper_messages_received_total", campaign=c, kind="command"),
        "talk": metrics.sample("lorekeeper_messages_received_total", campaign=c, kind="talk"),
        "processed": metrics.sample("lorekeeper_messages_processed_total", campaign=c),
        "batches": metrics.sample("lorekeeper_batch_size_messages_count", campaign=c),
        "batched": metrics.sample("lorekeeper_batch_size_messages_sum", campaign=c),
        "turns": metrics.sample("lorekeeper_dm_turn_duration_seconds_count", campaign=c),
        "vllm_timeouts": metrics.sample("lorekeeper_llm_timeouts_total", backend="vllm"),
        "vllm_fallbacks": metrics.sample("lorekeeper_llm_fallbacks_total", backend="vllm", reason="timeout"),
        "gemini_ok": metrics.sample("lorekeeper_llm_requests_total", backend="gemini", outcome="ok"),
        "gemini_ttft": metrics.sample("lorekeeper_llm_ttft_seconds_count", backend="gemini", model="scripted"),
        "saves": metrics.sample("lorekeeper_db_write_duration_seconds_count", op="save_state"),
        "statements": metrics.sample("lorekeeper_db_write_duration_seconds_count", op="statement"),
    }


def _grew(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in before}


async def test_a_turn_with_a_fallback_moves_the_session_inference_and_database_metrics(keep: Any) -> None:
    before = _counts()
    await play_with_fallback(keep)
    grew = _grew(before, _counts())
    assert grew["commands"] == 1 and grew["talk"] == 3, str(grew)
    assert grew["processed"] == 4, str(grew)  # the command at once; talk by the turns (one, then two messages)
    assert grew["batches"] == 2 and grew["batched"] == 3, str(grew)
    assert grew["turns"] == 2, str(grew)
    assert grew["vllm_timeouts"] == 2 and grew["vllm_fallbacks"] == 2, str(grew)
    assert grew["gemini_ok"] == 2 and grew["gemini_ttft"] == 2, str(grew)
    assert grew["saves"] >= 3, str(grew)  # the command's save and each turn's save
    assert grew["statements"] >= 4, str(grew)  # each message recorded (an INSERT)
    assert metrics.quantile("lorekeeper_dm_turn_duration_seconds", 0.5, campaign=CAMPAIGN_LABEL) > 0


async def test_pending_messages_and_open_sessions_are_read_at_scrape_time(keep: Any) -> None:
    played = await play_with_fallback(keep)
    await played.say(32, "ann", "Mira keeps watch on the pier.")  # Brakka has not spoken since: the batch waits
    page = metrics.scrape()
    assert f'lorekeeper_messages_pending{{campaign="{CAMPAIGN_LABEL}"}} 1.0' in page
    assert f'lorekeeper_session_queue_depth{{campaign="{CAMPAIGN_LABEL}"}} 0.0' in page
    open_sessions = float(page.split("\nlorekeeper_sessions_open ")[1].split("\n")[0])
    active = float(page.split("\nlorekeeper_sessions_active ")[1].split("\n")[0])
    assert open_sessions >= 1 and active >= 1
    await played.session.flush()
    assert f'lorekeeper_messages_pending{{campaign="{CAMPAIGN_LABEL}"}} 0.0' in metrics.scrape()


async def test_a_failed_write_is_counted_by_the_database_error_class(keep: Any) -> None:
    install_observers()
    before = metrics.sample("lorekeeper_db_errors_total", op="execute", reason="undefinedtable")
    with pytest.raises(Exception) as raised:
        await keep.db.execute("INSERT INTO no_such_table_for_metrics VALUES (1)")
    assert not isinstance(raised.value, DatabaseUnavailable)
    assert metrics.sample("lorekeeper_db_errors_total", op="execute", reason="undefinedtable") == before + 1


async def test_model_status_and_system_stats_show_the_live_figures_and_no_secret(keep: Any) -> None:
    secret = "AIzaSy-monitoring-test-secret-4242"
    played = await play_with_fallback(keep, gemini_api_key=secret, xai_api_key="xai-another-secret-77")
    replies = []
    for text in ("!model_status", "!system_stats"):
        replies += await played.session.receive(PlayerMessage(keep.channel, 990_000 + len(replies), 31, "bob", text))
    status, stats = (r.result for r in replies)
    model_text, stats_text = render_text(status), render_text(stats)
    dumped = json.dumps(status.model_dump()) + json.dumps(stats.model_dump()) + model_text + stats_text
    assert secret not in dumped and "xai-another-secret-77" not in dumped
    speed = status.status["speed"]
    assert speed["gemini"]["calls"] >= 1 and speed["gemini"]["ttft_p50_s"] is not None
    assert speed["vllm"]["timeouts"] >= 1 and speed["vllm"]["fallbacks"] >= 1
    assert status.status["models"]["gemini"]["model"] == played.settings.gemini_model
    assert set(status.status["models"]) == {"vllm", "gemini"}  # the live router's backends
    assert status.status["models"]["vllm"]["quantization"] and status.status["models"]["vllm"]["context_length"]
    assert status.status["router"]["backends"]["vllm"]["breaker"] in ("closed", "open", "half_open")
    assert "first token p50" in model_text and "Models:" in model_text
    runtime = stats.stats["runtime"]
    assert runtime["sessions_open"] >= 1 and "Lantern Keep" in runtime["campaigns"]
    assert "Sessions:" in stats_text and "Model queues:" in stats_text
    assert ("GPU: no GPU" in stats_text) == (stats.stats["gpus"] == [])

"""The embedded engine's prefix KV reuse on the real model (slow: loads it): the same greedy output with
and without reuse, the reused token counts of a DM turn's passes, and the backend's running reuse rate."""

from __future__ import annotations

import pytest

from dm.reply import reply_json_schema
from inference.embedded import EmbeddedBackend, EmbeddedConfig
from inference.embedded_model import PREFILL_BLOCK
from inference.schema_bounds import bound_schema
from monitoring import metrics

pytestmark = pytest.mark.slow

RULES = ("You are the Dungeon Master of a D&D 5e game. Keep momentum, never speak for a player character, "
         "ground everything in the campaign text, and answer in JSON: narrative, rolls, lookups, effects.")
BIBLE = "Campaign: The Drowned Lantern.\nCampaign text for this scene:\n\n" + "\n\n".join(
    f"[Saltmere > Harbour, p. {page}]\nBlack pilings lean out of the tide; the lighthouse keeper Oswin watches "
    f"the drowned boats and counts the gulls. Passage {page} tells of the bell that rings beneath the water."
    for page in range(1, 9))


def turn(player_line: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": RULES}, {"role": "user", "content": BIBLE},
            {"role": "user", "content": f"State: Mira HP 12/12, at the harbour.\n<message from \"ann\">\n"
                                        f"{player_line}\n</message>"}]


@pytest.fixture(scope="module")
async def engine():
    backend = EmbeddedBackend()
    await backend.load()
    backend._engine.prefixes.clear()
    return backend._engine


def generate(engine, messages, reuse: bool):
    schema = bound_schema(reply_json_schema(), max_string_chars=200, max_array_items=2)
    return engine.generate(messages, schema, 60, 0.0, reuse=reuse)


async def test_greedy_output_is_the_same_with_and_without_reuse(engine) -> None:
    first = generate(engine, turn("I look for the harbour master."), reuse=True)
    assert first.reused_tokens == 0 and first.prefix_hit is False

    # the next turn in the scene: rules and campaign text shared, the volatile message differs
    second = turn("I swim out to the drowned boat.")
    fresh = generate(engine, second, reuse=False)
    reused = generate(engine, second, reuse=True)
    assert reused.text == fresh.text
    assert reused.prompt_tokens == fresh.prompt_tokens
    assert reused.reused_tokens > fresh.prompt_tokens - 60 - PREFILL_BLOCK and reused.prefix_hit
    assert fresh.reused_tokens == 0

    # the turn's follow-up pass (the model's reply, then the engine's rolls) reuses the whole first pass
    follow_up = [*second, {"role": "assistant", "content": reused.text},
                 {"role": "user", "content": 'The engine rolled: {"total": 14, "dc": 12}. Now narrate it.'}]
    fresh = generate(engine, follow_up, reuse=False)
    reused_again = generate(engine, follow_up, reuse=True)
    assert reused_again.text == fresh.text
    assert reused_again.reused_tokens >= reused.prompt_tokens - 4  # all but the generation prompt's tokens


async def test_the_backend_reports_its_running_reuse_rate(engine) -> None:
    backend = EmbeddedBackend(EmbeddedConfig(max_string_chars=200, max_array_items=2))
    await backend.load()
    before = metrics.sample("lorekeeper_llm_tokens_total", backend="embedded", kind="prompt_reused")
    schema = reply_json_schema()
    await backend.generate(turn("I ring the bell."), schema, max_tokens=40, temperature=0.0)
    await backend.generate(turn("I ask Oswin about the bell."), schema, max_tokens=40, temperature=0.0)
    status = backend.status()
    assert status["generations"] == 2 and status["loaded"] is True
    assert status["reused_tokens"] > status["prompt_tokens"] * 0.4  # the second turn reused ~all but its tail
    assert status["reuse_rate"] == round(backend.reused_tokens / backend.prompt_tokens, 3)
    assert 1 <= status["prefix_cache"]["entries"] <= status["prefix_cache"]["max_entries"]
    after = metrics.sample("lorekeeper_llm_tokens_total", backend="embedded", kind="prompt_reused")
    assert after - before == backend.reused_tokens

"""The embedded CPU model (SmolLM2-135M GGUF): always schema-valid JSON. Slow: loads the model (~20 s)."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest

from dm.reply import reply_json_schema
from inference.embedded import EmbeddedBackend, EmbeddedConfig

pytestmark = pytest.mark.slow

SYSTEM = ("You are the Dungeon Master of a D&D 5e game in the drowned town of Saltmere. Reply in JSON: a vivid "
          "narrative, the dice rolls the engine must make, and the effects on the game state.")

# The DM's real reply schema (dm/reply.py). Its nested strings carry no maxLength: the backend
# must add the bounds itself so the tiny model always closes its JSON.
DM_SCHEMA = reply_json_schema()

PROMPTS = [
    "I push open the tavern door and look for the innkeeper.",
    "Mira swings her longsword at the drowned ghoul.",
    "I search the flooded cellar for anything valuable.",
    "Can I persuade the harbour master to lend us his boat?",
    "Tomas casts cure wounds on Mira.",
    "We take a long rest in the lighthouse.",
    "I try to pick the lock on the sea chest.",
    "What does the old fisherman know about the lantern?",
    "I jump across the broken pier.",
    "Borin drinks the strange blue potion.",
    "I cast fireball at the cultists on the stairs.",
    "We follow the tracks into the salt marsh.",
    "I sneak past the sleeping guard.",
    "Ask the priestess about the drowned god.",
    "I climb the lighthouse tower to look out to sea.",
    "Lyra plays a song to calm the frightened villagers.",
    "I attack the giant crab with my warhammer, twice.",
    "We buy rope, torches and rations at the market.",
    "I study the runes carved on the altar.",
    "I shout a challenge at the pirate captain!",
]


@pytest.fixture(scope="module")
async def backend():
    embedded = EmbeddedBackend(EmbeddedConfig(max_string_chars=300, max_array_items=3))
    await embedded.load()
    return embedded


async def test_twenty_varied_prompts_all_return_schema_valid_json(backend) -> None:
    for prompt in PROMPTS:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        generation = await backend.generate(messages, DM_SCHEMA, max_tokens=160, temperature=0.7)
        jsonschema.validate(generation.data, DM_SCHEMA)
        assert generation.backend == "embedded" and generation.completion_tokens <= 160 + 96
        assert len(generation.data["narrative"]) <= 300 and len(generation.data["rolls"]) <= 3


async def test_a_tiny_budget_still_closes_the_json(backend) -> None:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Describe the whole town."}]
    generation = await backend.generate(messages, DM_SCHEMA, max_tokens=30, temperature=0.0)
    jsonschema.validate(generation.data, DM_SCHEMA)


async def test_generation_runs_off_the_event_loop(backend) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[0]}]
    await backend.generate(messages, DM_SCHEMA, max_tokens=80, temperature=0.0)
    task.cancel()
    assert ticks > 5  # the loop kept running while the model decoded in its thread


async def test_plain_text_without_schema(backend) -> None:
    generation = await backend.generate([{"role": "user", "content": "Name a colour."}], None, max_tokens=20,
                                        temperature=0.0)
    assert generation.data is None and generation.text.strip()
    assert generation.completion_tokens <= 20


async def _lock_frees_within(engine, seconds: float) -> bool:
    acquired = await asyncio.to_thread(engine.lock.acquire, True, seconds)
    if acquired:
        engine.lock.release()
    return acquired


# At least 3000 characters: the grammar keeps the model writing for about a minute here.
LONG_SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string", "minLength": 3000}},
               "required": ["narrative"]}


async def test_a_timeout_stops_the_decode_thread(backend) -> None:
    from inference.errors import InferenceTimeout

    impatient = EmbeddedBackend(EmbeddedConfig(max_string_chars=6000, timeout_s=2.0))
    await impatient.load()  # the same process-wide engine as `backend`
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Tell the whole saga of Saltmere."}]
    with pytest.raises(InferenceTimeout):
        await impatient.generate(messages, LONG_SCHEMA, max_tokens=1500, temperature=0.7)
    # ~700+ forced tokens would take a minute here; a stopped thread frees the engine after at most one token
    assert await _lock_frees_within(impatient._engine, 10.0)


async def test_a_cancelled_caller_stops_the_decode_thread(backend) -> None:
    roomy = EmbeddedBackend(EmbeddedConfig(max_string_chars=6000))
    await roomy.load()
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Tell the whole saga of Saltmere."}]
    call = asyncio.ensure_future(roomy.generate(messages, LONG_SCHEMA, max_tokens=1500, temperature=0.7))
    await asyncio.sleep(1.0)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await _lock_frees_within(roomy._engine, 10.0)


async def test_a_request_that_timed_out_in_the_queue_never_runs_its_prompt(backend) -> None:
    """B waits for the engine behind A and times out there; when A ends, B's thread must give up at once
    instead of spending a prefill on a prompt nobody is waiting for (its KV never reaches the prefix cache)."""
    from inference.errors import InferenceTimeout

    engine = backend._engine
    roomy = EmbeddedBackend(EmbeddedConfig(max_string_chars=6000))
    queued = EmbeddedBackend(EmbeddedConfig(timeout_s=0.5))
    await roomy.load()
    await queued.load()
    long_call = asyncio.ensure_future(roomy.generate(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Tell the whole saga."}],
        LONG_SCHEMA, max_tokens=1500, temperature=0.7))
    await asyncio.sleep(0.5)  # A holds the engine
    b_messages = [{"role": "system", "content": SYSTEM + " Queue test B: a prompt seen nowhere else."},
                  {"role": "user", "content": "I wait."}]
    with pytest.raises(InferenceTimeout):
        await queued.generate(b_messages, DM_SCHEMA, max_tokens=40, temperature=0.0)
    long_call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long_call
    assert await _lock_frees_within(engine, 10.0)
    await asyncio.sleep(0.2)
    assert await _lock_frees_within(engine, 10.0)  # B's thread, if it ran, has finished by now
    assert engine._encode_prompt(b_messages) not in engine.prefixes

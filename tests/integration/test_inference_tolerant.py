"""The DM schema through the real `openai` / `google-genai` clients: the full effect grammar goes upstream
without our `TOLERANT_ITEMS` annotation, and a reply with one bad effect comes back whole."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inference_standins import GeminiStandIn, OpenAIStandIn  # noqa: E402

from dm.reply import parse_reply, reply_json_schema  # noqa: E402
from inference.errors import BadReply  # noqa: E402
from inference.gemini_backend import GeminiBackend, GeminiConfig  # noqa: E402
from inference.interfaces import TOLERANT_ITEMS  # noqa: E402
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig  # noqa: E402
from inference.xai_backend import XAIBackend, XAIConfig  # noqa: E402

MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I kick the goblin."}]
MIXED = {"narrative": "Your boot connects; the goblin staggers.", "rolls": [], "rule_lookups": [],
         "effects": [{"kind": "hp_change", "target": "goblin-1", "amount": -2},
                     {"kind": "hp_change", "target": "goblin-1"},
                     {"kind": "condition_set", "target": "goblin-1", "condition": "prone"}]}


@pytest.fixture
async def openai_standin():
    server = OpenAIStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def gemini_standin():
    server = GeminiStandIn()
    await server.start()
    yield server
    await server.stop()


def _check(text: str) -> None:
    parsed = parse_reply(text)
    assert [effect.kind for effect in parsed.effects] == ["hp_change", "condition_set"]
    assert [reason for _, reason in parsed.rejected_effects] == ["amount: Field required"]


@pytest.mark.parametrize("kind", ["vllm", "xai"])
async def test_openai_compatible_backends_keep_a_reply_with_one_bad_effect(openai_standin, kind) -> None:
    openai_standin.reply = MIXED
    if kind == "vllm":
        backend = VLLMBackend(VLLMBackendConfig(port=openai_standin.port, served_model="llama-local", timeout_s=5))
    else:
        backend = XAIBackend(XAIConfig(api_key="xai-secret", model="grok-test",
                                       base_url=f"http://127.0.0.1:{openai_standin.port}/v1", timeout_s=5))
    generation = await backend.generate(MESSAGES, reply_json_schema())
    assert generation.data == MIXED
    _check(generation.text)
    sent = openai_standin.requests[0]["response_format"]["json_schema"]["schema"]
    assert TOLERANT_ITEMS not in json.dumps(sent)
    assert sent["properties"]["effects"]["items"] == reply_json_schema()["properties"]["effects"]["items"]
    await backend.close()


async def test_gemini_keeps_a_reply_with_one_bad_effect_and_a_broken_envelope_is_bad(gemini_standin) -> None:
    gemini_standin.reply = MIXED
    backend = GeminiBackend(GeminiConfig(api_key="g-secret", model="gemini-test",
                                         base_url=f"http://127.0.0.1:{gemini_standin.port}", timeout_s=5))
    generation = await backend.generate(MESSAGES, reply_json_schema())
    _check(generation.text)
    sent = gemini_standin.requests[0]["generationConfig"]["responseJsonSchema"]
    assert TOLERANT_ITEMS not in json.dumps(sent) and "items" in sent["properties"]["effects"]
    gemini_standin.reply = {k: v for k, v in MIXED.items() if k != "narrative"}
    with pytest.raises(BadReply):
        await backend.generate(MESSAGES, reply_json_schema())
    await backend.close()

"""The real `openai` and `google-genai` client code against stand-in servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inference_standins import DM_REPLY, GeminiStandIn, OpenAIStandIn  # noqa: E402

from inference.errors import (  # noqa: E402
    BackendOverloaded,
    BackendUnavailable,
    BadReply,
    InferenceTimeout,
    PromptTooLong,
)
from inference.gemini_backend import GeminiBackend, GeminiConfig  # noqa: E402
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig  # noqa: E402
from inference.xai_backend import XAIBackend, XAIConfig  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {"narrative": {"type": "string"}, "rolls": {"type": "array"}, "effects": {"type": "array"}},
    "required": ["narrative", "rolls", "effects"],
}
MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I open the door."}]


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


def vllm(server: OpenAIStandIn, timeout_s: float = 5.0, window: int = 4096) -> VLLMBackend:
    return VLLMBackend(VLLMBackendConfig(port=server.port, served_model="llama-local", timeout_s=timeout_s,
                                         context_window=window))


async def test_vllm_sends_the_json_schema_and_parses_the_reply(openai_standin) -> None:
    backend = vllm(openai_standin)
    generation = await backend.generate(MESSAGES, SCHEMA, max_tokens=300, temperature=0.5)
    assert generation.data == DM_REPLY and generation.backend == "vllm"
    assert (generation.prompt_tokens, generation.completion_tokens) == (42, 17)
    body = openai_standin.requests[0]
    assert body["model"] == "llama-local" and body["max_tokens"] == 300 and body["messages"] == MESSAGES
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    await backend.close()


async def test_vllm_drops_unanchored_patterns_xgrammar_would_misread(openai_standin) -> None:
    schema = {"type": "object", "properties": {"narrative": {"type": "string", "pattern": "\\S", "maxLength": 900}},
              "required": ["narrative"]}
    backend = vllm(openai_standin)
    await backend.generate(MESSAGES, schema)
    sent = openai_standin.requests[0]["response_format"]["json_schema"]["schema"]["properties"]["narrative"]
    assert sent == {"type": "string", "maxLength": 900}
    await backend.close()


async def test_vllm_streaming_measures_time_to_first_token(openai_standin) -> None:
    backend = vllm(openai_standin)
    generation = await backend.generate(MESSAGES, SCHEMA, stream=True)
    assert generation.data == DM_REPLY
    assert 0 < generation.ttft_s <= generation.latency_s
    assert openai_standin.requests[0]["stream"] is True
    assert generation.completion_tokens == 17  # from the final usage chunk
    await backend.close()


@pytest.mark.parametrize("mode, error, status", [("429", BackendOverloaded, 429), ("503", BackendOverloaded, 503),
                                                  ("500", BackendUnavailable, 500)])
async def test_vllm_http_errors_are_translated(openai_standin, mode, error, status) -> None:
    openai_standin.mode = mode
    backend = vllm(openai_standin)
    with pytest.raises(error) as caught:
        await backend.generate(MESSAGES, SCHEMA)
    assert caught.value.status == status
    assert len(openai_standin.requests) == 1  # the client's own retries are off
    await backend.close()


@pytest.mark.parametrize("mode, stream", [("html", False), ("broken_body", False), ("broken_sse", True)])
async def test_a_malformed_200_response_is_translated(openai_standin, mode, stream) -> None:
    openai_standin.mode = mode
    backend = vllm(openai_standin)
    with pytest.raises(BackendUnavailable) as caught:
        await backend.generate(MESSAGES, SCHEMA, stream=stream)
    assert caught.value.backend == "vllm" and "malformed" in caught.value.detail
    assert backend.in_flight == 0
    await backend.close()


async def test_500_is_not_reported_as_overload(openai_standin) -> None:
    openai_standin.mode = "500"
    backend = vllm(openai_standin)
    with pytest.raises(BackendUnavailable) as caught:
        await backend.generate(MESSAGES, SCHEMA)
    assert not isinstance(caught.value, BackendOverloaded)
    await backend.close()


async def test_a_stalled_server_times_out(openai_standin) -> None:
    openai_standin.mode = "stall"
    backend = vllm(openai_standin, timeout_s=0.5)
    with pytest.raises(InferenceTimeout):
        await asyncio.wait_for(backend.generate(MESSAGES, SCHEMA, stream=True), 10)
    await backend.close()


async def test_invalid_json_is_a_bad_reply(openai_standin) -> None:
    openai_standin.mode = "bad_json"
    backend = vllm(openai_standin)
    with pytest.raises(BadReply):
        await backend.generate(MESSAGES, SCHEMA)
    await backend.close()


async def test_a_dead_server_is_unavailable_and_unhealthy(openai_standin) -> None:
    backend = vllm(openai_standin)
    assert await backend.health() is True
    openai_standin.queue_waiting = 4
    assert await backend.queue_depth() == 4
    await openai_standin.stop()
    with pytest.raises(BackendUnavailable):
        await backend.generate(MESSAGES, SCHEMA)
    assert await backend.health() is False
    assert await backend.queue_depth() is None
    await backend.close()


async def test_too_long_prompt_is_refused_before_any_request(openai_standin) -> None:
    backend = vllm(openai_standin, window=256)
    with pytest.raises(PromptTooLong):
        await backend.generate([{"role": "user", "content": "tell me more " * 200}], SCHEMA, max_tokens=64)
    assert openai_standin.requests == []
    await backend.close()


async def test_xai_uses_its_key_model_and_base_url(openai_standin) -> None:
    backend = XAIBackend(XAIConfig(api_key="xai-secret", model="grok-test",
                                   base_url=f"http://127.0.0.1:{openai_standin.port}/v1"))
    generation = await backend.generate(MESSAGES, SCHEMA)
    assert generation.backend == "xai" and generation.data == DM_REPLY
    assert openai_standin.headers[0]["Authorization"] == "Bearer xai-secret"
    assert openai_standin.requests[0]["model"] == "grok-test"
    assert "xai-secret" not in repr(backend.config)
    await backend.close()


def gemini(server: GeminiStandIn, timeout_s: float = 5.0) -> GeminiBackend:
    return GeminiBackend(GeminiConfig(api_key="g-secret", model="gemini-test",
                                      base_url=f"http://127.0.0.1:{server.port}", timeout_s=timeout_s))


@pytest.mark.parametrize("stream", [False, True])
async def test_gemini_sends_a_response_schema_and_parses(gemini_standin, stream) -> None:
    backend = gemini(gemini_standin)
    generation = await backend.generate(MESSAGES, SCHEMA, max_tokens=200, temperature=0.3, stream=stream)
    assert generation.data == DM_REPLY and generation.backend == "gemini"
    assert (generation.prompt_tokens, generation.completion_tokens) == (40, 15)
    body = gemini_standin.requests[0]
    assert body["generationConfig"]["responseJsonSchema"] == SCHEMA
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert body["generationConfig"]["maxOutputTokens"] == 200
    assert body["systemInstruction"]["parts"][0]["text"] == "You are the DM."
    assert body["contents"] == [{"role": "user", "parts": [{"text": "I open the door."}]}]
    assert ("streamGenerateContent" in gemini_standin.paths[0]) is stream
    assert "gemini-test" in gemini_standin.paths[0]
    assert gemini_standin.headers[0].get("x-goog-api-key") == "g-secret"
    await backend.close()


@pytest.mark.parametrize("mode, error", [("429", BackendOverloaded), ("500", BackendUnavailable),
                                         ("bad_json", BadReply)])
async def test_gemini_failures_are_translated(gemini_standin, mode, error) -> None:
    gemini_standin.mode = mode
    backend = gemini(gemini_standin)
    with pytest.raises(error):
        await backend.generate(MESSAGES, SCHEMA)
    assert len(gemini_standin.requests) == 1
    await backend.close()


async def test_gemini_stall_times_out(gemini_standin) -> None:
    gemini_standin.mode = "stall"
    backend = gemini(gemini_standin, timeout_s=0.5)
    with pytest.raises(InferenceTimeout):
        await asyncio.wait_for(backend.generate(MESSAGES, SCHEMA), 10)
    await backend.close()

"""Hole (a): vLLM's `/metrics` page is read before each request to skip an overloaded server. A page
that is not valid UTF-8 (a proxy, a truncated body) raised UnicodeDecodeError out of the router
instead of the router falling back to the next backend."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from inference_standins import GeminiStandIn, OpenAIStandIn  # noqa: E402

from inference.gemini_backend import GeminiBackend, GeminiConfig  # noqa: E402
from inference.router import Router, RouterConfig  # noqa: E402
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig  # noqa: E402

MESSAGES = [{"role": "system", "content": "You are the DM."}, {"role": "user", "content": "I open the door."}]
SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"]}


class _RaisingQueue:
    """A backend whose queue probe itself blows up with an error nobody translated."""

    name = "odd"

    async def queue_depth(self) -> int | None:
        raise RuntimeError("probe broke")


async def test_a_metrics_page_with_invalid_utf8_falls_back_to_gemini() -> None:
    local, gemini = OpenAIStandIn(), GeminiStandIn()
    local.metrics_body = b'vllm:num_requests_waiting{model_name="x"} \xff\xfe 3.0\n'
    gemini.reply = {"narrative": "gemini", "rolls": [], "effects": []}
    await local.start()
    await gemini.start()
    try:
        backends = {
            "vllm": VLLMBackend(VLLMBackendConfig(port=local.port, served_model="llama", timeout_s=5)),
            "gemini": GeminiBackend(GeminiConfig(api_key="g", base_url=f"http://127.0.0.1:{gemini.port}",
                                                 timeout_s=5)),
        }
        router = Router(backends, RouterConfig(retry_jitter_s=0.01, attempt_timeout_s=2))
        # The unreadable page says nothing about the queue: vLLM itself is still asked, as with no page at all.
        generation = await router.generate(MESSAGES, SCHEMA)
        assert generation.backend == "vllm"
        local.mode = "500"
        generation = await router.generate(MESSAGES, SCHEMA)
        assert generation.backend == "gemini" and generation.data["narrative"] == "gemini"
        assert await backends["vllm"].queue_depth() is None
        await router.close()
    finally:
        await local.stop()
        await gemini.stop()


async def test_a_queue_probe_that_raises_anything_is_treated_as_unknown_depth() -> None:
    from inference.scripted import ScriptedBackend

    odd = ScriptedBackend([{"narrative": "odd", "rolls": [], "effects": []}], name="odd")
    odd.queue_depth = _RaisingQueue().queue_depth  # type: ignore[attr-defined]
    router = Router({"odd": odd}, RouterConfig(retry_jitter_s=0.01))
    generation = await router.generate(MESSAGES, SCHEMA)
    assert generation.backend == "odd"
    await router.close()

"""The local Llama served by `vllm serve`, through its OpenAI-compatible API.

Structured outputs go as `response_format` json_schema, which vLLM compiles with xgrammar and
caches per schema — so `dm/` should use a few fixed schemas. Besides the chat API this backend
reads vLLM's own `/health` and the Prometheus `/metrics` gauges `vllm:num_requests_waiting` /
`vllm:num_requests_running`, which the router uses for overload detection.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from inference.interfaces import JsonSchema
from inference.openai_compat import OpenAICompatBackend, OpenAICompatConfig
from inference.schema_bounds import grammar_safe_schema
from monitoring import metrics

__all__ = ["VLLMBackend", "VLLMBackendConfig", "parse_vllm_queue"]

_GAUGE = re.compile(r"^vllm:num_requests_(waiting|running)\{[^}]*\}\s+([0-9.eE+-]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class VLLMBackendConfig:
    """Where the vLLM server listens and what it serves (`served_model` = the `--served-model-name`)."""

    host: str = "127.0.0.1"
    port: int = 8000
    served_model: str = "meta-llama/Llama-3.1-8B-Instruct"
    context_window: int = 4096
    timeout_s: float = 30.0

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def parse_vllm_queue(text: str) -> tuple[int, int]:
    """(waiting, running) summed over models from a vLLM `/metrics` page."""
    waiting = running = 0.0
    for kind, value in _GAUGE.findall(text):
        if kind == "waiting":
            waiting += float(value)
        else:
            running += float(value)
    return int(waiting), int(running)


class VLLMBackend(OpenAICompatBackend):
    """`InferenceBackend` for the local vLLM server."""

    def __init__(self, config: VLLMBackendConfig) -> None:
        super().__init__(OpenAICompatConfig(name="vllm", base_url=f"{config.root_url}/v1", model=config.served_model,
                                            context_window=config.context_window, timeout_s=config.timeout_s))
        self.server = config

    def _extra_params(self, schema: JsonSchema | None) -> dict[str, Any]:
        # vLLM compiles the schema with xgrammar, which reads `pattern` as a whole-string match.
        return super()._extra_params(None if schema is None else grammar_safe_schema(schema))

    async def _get(self, path: str) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=min(5.0, self.server.timeout_s))
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{self.server.root_url}{path}") as response:
                return response.status, await response.text()

    async def health(self) -> bool:
        try:
            status, _ = await self._get("/health")
        except (aiohttp.ClientError, TimeoutError, asyncio.TimeoutError, OSError):
            return False
        return status == 200

    async def queue_depth(self) -> int | None:
        """Requests waiting in vLLM's scheduler (None when `/metrics` cannot be read)."""
        try:
            status, text = await self._get("/metrics")
        except (aiohttp.ClientError, TimeoutError, asyncio.TimeoutError, OSError):
            return None
        if status != 200:
            return None
        waiting, running = parse_vllm_queue(text)
        metrics.set_queue_depth(self.name, waiting + running)
        return waiting

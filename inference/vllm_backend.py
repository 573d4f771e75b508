"""The local Llama served by `vllm serve`, through its OpenAI-compatible API.

Structured outputs go as `response_format` json_schema, which vLLM compiles with xgrammar and
caches per schema — so `dm/` should use a few fixed schemas. Besides the chat API this backend
reads vLLM's own `/health` and the Prometheus `/metrics` gauges `vllm:num_requests_waiting` /
`vllm:num_requests_running`, which the router uses for overload detection, and counts tokens with
the served model's own tokenizer through vLLM's `/tokenize`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from inference.interfaces import JsonSchema, Message
from inference.openai_compat import OpenAICompatBackend, OpenAICompatConfig
from inference.schema_bounds import grammar_safe_schema
from monitoring import metrics

__all__ = ["VLLMBackend", "VLLMBackendConfig", "parse_vllm_queue"]

log = logging.getLogger(__name__)

_TOKENIZE_TIMEOUT_S = 2.0
_TOKENIZE_RETRY_S = 30.0   # after a failed /tokenize, estimate for this long before asking again
_TOKENIZE_MEMO = 1024      # texts whose count is remembered (the campaign passages recur every turn)
_TEMPLATE_TOKENS = 8       # a chat template's tokens around one message (role header, end of turn)

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
        self._counted: OrderedDict[str, int] = OrderedDict()
        self._tokenize_down_until = 0.0

    def _extra_params(self, schema: JsonSchema | None) -> dict[str, Any]:
        # vLLM compiles the schema with xgrammar, which reads `pattern` as a whole-string match.
        return super()._extra_params(None if schema is None else grammar_safe_schema(schema))

    def count_tokens(self, text: str) -> int:
        """`TokenCounter`: the served model's tokenizer via vLLM's `POST /tokenize` (no special tokens).

        Synchronous, as the protocol is: a blocking round trip to the local server (a few ms; at most
        2 s), remembered per text. When the server cannot answer, characters / 4 — and for the next
        30 s too, without asking again, so a dead server does not stall every count.
        """
        if text in self._counted:
            self._counted.move_to_end(text)
            return self._counted[text]
        if time.monotonic() < self._tokenize_down_until:
            return super().count_tokens(text)
        try:
            count = self._tokenize(text)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError/HTTPError are OSErrors
            log.warning("vllm /tokenize failed (%s); estimating tokens for %.0f s", exc, _TOKENIZE_RETRY_S)
            self._tokenize_down_until = time.monotonic() + _TOKENIZE_RETRY_S
            return super().count_tokens(text)
        self._counted[text] = count
        while len(self._counted) > _TOKENIZE_MEMO:
            self._counted.popitem(last=False)
        return count

    async def prompt_tokens(self, messages: Sequence[Message]) -> int:
        """The server's own count (the one the DM turn fits its prompt by) plus the chat template's few tokens
        a message: characters / 3.2 refused prompts that fit, so a full DM prompt never reached the model."""
        counts = await asyncio.to_thread(lambda: [self.count_tokens(m["content"]) for m in messages])
        return sum(counts) + _TEMPLATE_TOKENS * len(messages) + 3

    def _tokenize(self, text: str) -> int:
        body = json.dumps({"model": self.server.served_model, "prompt": text, "add_special_tokens": False}).encode()
        request = urllib.request.Request(f"{self.server.root_url}/tokenize", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=min(_TOKENIZE_TIMEOUT_S, self.server.timeout_s)) as response:
            payload = json.loads(response.read())
        count = payload["count"] if "count" in payload else len(payload["tokens"])
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"bad /tokenize count {count!r}")
        return count

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
        except (aiohttp.ClientError, TimeoutError, asyncio.TimeoutError, OSError, UnicodeDecodeError):
            return None
        if status != 200:
            return None
        try:
            waiting, running = parse_vllm_queue(text)
        except ValueError:  # a gauge value like "1e+-": the page is garbage, the depth unknown
            return None
        metrics.set_queue_depth(self.name, waiting + running)
        return waiting

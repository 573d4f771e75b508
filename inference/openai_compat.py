"""A backend for any OpenAI-compatible chat API (vLLM's server, xAI), on the `openai` client.

Structured output goes out as `response_format={"type": "json_schema", ...}`, which vLLM
(xgrammar) and xAI both honour; the reply's envelope is still validated here (`inference.base`). The client's own retries are
off (`max_retries=0`): the router decides where a failed request goes next.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from inference.base import check_context, estimate_tokens, finish, validate_request, wire_schema
from inference.errors import BackendOverloaded, BackendUnavailable, InferenceError, InferenceTimeout, PromptTooLong
from inference.interfaces import Generation, JsonSchema, Message, hear
from monitoring import metrics

__all__ = ["OpenAICompatBackend", "OpenAICompatConfig", "translate_openai_error"]


@dataclass(frozen=True, slots=True)
class OpenAICompatConfig:
    """Where and how to call an OpenAI-compatible server.

    `api_key` is the plain secret (kept out of `repr`); `timeout_s` bounds the whole call,
    including a stalled stream; `schema_name` labels the json_schema sent upstream.
    """

    name: str
    base_url: str
    model: str
    api_key: str = "EMPTY"
    context_window: int = 8192
    timeout_s: float = 30.0
    schema_name: str = "reply"

    def __repr__(self) -> str:  # never print the key
        return f"OpenAICompatConfig(name={self.name!r}, base_url={self.base_url!r}, model={self.model!r})"


def translate_openai_error(exc: Exception, backend: str, timeout_s: float) -> InferenceError:
    """Map an `openai` exception onto our tree (429/503 → overloaded, 5xx → unavailable, ...)."""
    if isinstance(exc, openai.APITimeoutError):
        return InferenceTimeout(f"{backend} timed out", backend=backend, timeout_s=timeout_s)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        text = str(exc)
        if status in (429, 503):
            return BackendOverloaded(f"{backend} is busy (HTTP {status})", backend=backend, status=status)
        if status == 400 and ("context length" in text or "maximum context" in text or "too long" in text):
            return PromptTooLong(backend=backend, prompt_tokens=-1, max_tokens=-1, context_window=-1)
        return BackendUnavailable(f"{backend} returned HTTP {status}", backend=backend, status=status)
    if isinstance(exc, openai.APIConnectionError):
        return BackendUnavailable(f"{backend} is unreachable", backend=backend)
    return BackendUnavailable(f"{backend} failed: {type(exc).__name__}", backend=backend)


class OpenAICompatBackend:
    """`InferenceBackend` over `openai.AsyncOpenAI`."""

    def __init__(self, config: OpenAICompatConfig) -> None:
        self.config = config
        self.name = config.name
        self._client = openai.AsyncOpenAI(api_key=config.api_key or "EMPTY", base_url=config.base_url,
                                          timeout=config.timeout_s, max_retries=0)
        self._in_flight = 0

    @property
    def context_window(self) -> int:
        return self.config.context_window

    def count_tokens(self, text: str) -> int:
        """`TokenCounter`: characters / 4, rounded up (no tokenizer here; `VLLMBackend` asks its server)."""
        return (len(text) + 3) // 4

    async def prompt_tokens(self, messages: Sequence[Message]) -> int:
        """The prompt's size for the window check before sending: an upper-bound estimate here (no tokenizer)."""
        return estimate_tokens(messages)

    @property
    def in_flight(self) -> int:
        """Requests this process has sent and not yet seen answered."""
        return self._in_flight

    def _extra_params(self, schema: JsonSchema | None) -> dict[str, Any]:
        if schema is None:
            return {}
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": self.config.schema_name, "schema": wire_schema(schema),
                                                    "strict": True}}}

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        validate_request(messages, max_tokens, temperature)
        check_context(self.name, await self.prompt_tokens(messages), max_tokens, self.context_window)
        self._in_flight += 1
        metrics.set_queue_depth(self.name, self._in_flight)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.config.timeout_s):
                if stream:
                    text, usage, ttft = await self._stream(messages, schema, max_tokens, temperature, started)
                else:
                    text, usage, ttft = await self._once(messages, schema, max_tokens, temperature)
        except TimeoutError:
            metrics.record_failure(self.name, "timeout")
            raise InferenceTimeout(f"{self.name} gave no answer within {self.config.timeout_s}s", backend=self.name,
                                   timeout_s=self.config.timeout_s) from None
        except openai.OpenAIError as exc:
            err = translate_openai_error(exc, self.name, self.config.timeout_s)
            metrics.record_failure(self.name, err.reason)
            raise err from None
        except ValueError as exc:  # a 200 whose body or SSE event is not JSON (e.g. a proxy)
            metrics.record_failure(self.name, "unavailable")
            raise BackendUnavailable(f"{self.name} sent a malformed response ({type(exc).__name__})",
                                     backend=self.name) from None
        finally:
            self._in_flight -= 1
            metrics.set_queue_depth(self.name, self._in_flight)
        latency = time.perf_counter() - started
        prompt_tokens = usage[0] if usage else estimate_tokens(messages)
        completion_tokens = usage[1] if usage else max(1, len(text) // 4)
        return finish(backend=self.name, model=self.config.model, text=text, schema=schema,
                      prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, latency_s=latency,
                      ttft_s=ttft)

    async def _once(self, messages: Sequence[Message], schema: JsonSchema | None, max_tokens: int,
                    temperature: float) -> tuple[str, tuple[int, int] | None, float | None]:
        response = await self._client.chat.completions.create(
            model=self.config.model, messages=list(messages), max_tokens=max_tokens, temperature=temperature,
            **self._extra_params(schema))
        if not isinstance(response, ChatCompletion):  # the SDK hands back the raw text of a non-JSON 200
            raise BackendUnavailable(f"{self.name} sent a malformed response ({type(response).__name__})",
                                     backend=self.name)
        if not response.choices:
            raise BackendUnavailable(f"{self.name} returned no choices", backend=self.name)
        text = response.choices[0].message.content or ""
        usage = (response.usage.prompt_tokens, response.usage.completion_tokens) if response.usage else None
        return text, usage, None

    async def _stream(self, messages: Sequence[Message], schema: JsonSchema | None, max_tokens: int,
                      temperature: float, started: float) -> tuple[str, tuple[int, int] | None, float | None]:
        chunks: list[str] = []
        usage = None
        ttft = None
        response = await self._client.chat.completions.create(
            model=self.config.model, messages=list(messages), max_tokens=max_tokens, temperature=temperature,
            stream=True, stream_options={"include_usage": True}, **self._extra_params(schema))
        async for chunk in response:
            if chunk.usage:
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices:
                if choice.delta.content:
                    if ttft is None:
                        ttft = time.perf_counter() - started
                    chunks.append(choice.delta.content)
                    hear(choice.delta.content)  # a narration draft, when someone listens (dm.drafts)
        return "".join(chunks), usage, ttft

    async def health(self) -> bool:
        try:
            async with asyncio.timeout(min(5.0, self.config.timeout_s)):
                await self._client.models.list()
        except (TimeoutError, openai.OpenAIError):
            return False
        return True

    async def close(self) -> None:
        await self._client.close()

"""Google Gemini through `google-genai`, with a response JSON schema.

System messages become `system_instruction`, assistant turns the "model" role. The SDK's own
retries are off (`attempts=1`): the router decides where a failed request goes next.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from inference.base import check_context, estimate_tokens, finish, validate_request, wire_schema
from inference.errors import BackendOverloaded, BackendUnavailable, InferenceError, InferenceTimeout
from inference.interfaces import Generation, JsonSchema, Message, hear
from monitoring import metrics

__all__ = ["GeminiBackend", "GeminiConfig", "to_gemini_contents"]


@dataclass(frozen=True, slots=True)
class GeminiConfig:
    """Gemini settings; `base_url` None means Google's endpoint. `api_key` never appears in `repr`."""

    api_key: str
    model: str = "gemini-2.5-flash"
    base_url: str | None = None
    context_window: int = 1_048_576
    timeout_s: float = 30.0

    def __repr__(self) -> str:
        return f"GeminiConfig(model={self.model!r}, base_url={self.base_url!r})"


def to_gemini_contents(messages: Sequence[Message]) -> tuple[str | None, list[types.Content]]:
    """Split chat messages into (system_instruction, contents) in Gemini's shape."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system") or None
    contents = [types.Content(role="model" if m["role"] == "assistant" else "user",
                              parts=[types.Part(text=m["content"])])
                for m in messages if m["role"] != "system"]
    return system, contents


class GeminiBackend:
    """`InferenceBackend` for Gemini."""

    def __init__(self, config: GeminiConfig) -> None:
        self.config = config
        self.name = "gemini"
        options = types.HttpOptions(base_url=config.base_url, timeout=int(config.timeout_s * 1000),
                                    retry_options=types.HttpRetryOptions(attempts=1))
        self._client = genai.Client(api_key=config.api_key, http_options=options)

    @property
    def context_window(self) -> int:
        return self.config.context_window

    def count_tokens(self, text: str) -> int:
        """`TokenCounter`: characters / 4, rounded up (counting with Gemini's tokenizer is a network call)."""
        return (len(text) + 3) // 4

    def _translate(self, exc: Exception) -> InferenceError:
        if isinstance(exc, genai_errors.APIError):
            if exc.code in (429, 503):
                return BackendOverloaded(f"gemini is busy (HTTP {exc.code})", backend=self.name, status=exc.code)
            return BackendUnavailable(f"gemini returned HTTP {exc.code}", backend=self.name, status=exc.code)
        if "timeout" in type(exc).__name__.lower():
            return InferenceTimeout("gemini timed out", backend=self.name, timeout_s=self.config.timeout_s)
        return BackendUnavailable(f"gemini failed: {type(exc).__name__}", backend=self.name)

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        validate_request(messages, max_tokens, temperature)
        check_context(self.name, estimate_tokens(messages), max_tokens, self.context_window)
        system, contents = to_gemini_contents(messages)
        config = types.GenerateContentConfig(
            system_instruction=system, temperature=temperature, max_output_tokens=max_tokens,
            response_mime_type="application/json" if schema is not None else None,
            response_json_schema=None if schema is None else wire_schema(schema))
        started = time.perf_counter()
        ttft = None
        usage = None
        try:
            async with asyncio.timeout(self.config.timeout_s):
                if stream:
                    parts: list[str] = []
                    async for chunk in await self._client.aio.models.generate_content_stream(
                            model=self.config.model, contents=contents, config=config):
                        if chunk.text:
                            ttft = ttft if ttft is not None else time.perf_counter() - started
                            parts.append(chunk.text)
                            hear(chunk.text)  # a narration draft, when someone listens (dm.drafts)
                        usage = chunk.usage_metadata or usage
                    text = "".join(parts)
                else:
                    response = await self._client.aio.models.generate_content(
                        model=self.config.model, contents=contents, config=config)
                    text = response.text or ""
                    usage = response.usage_metadata
        except TimeoutError:
            metrics.record_failure(self.name, "timeout")
            raise InferenceTimeout(f"gemini gave no answer within {self.config.timeout_s}s", backend=self.name,
                                   timeout_s=self.config.timeout_s) from None
        except Exception as exc:  # the SDK raises its own errors and its transport's; translate all at the edge
            err = self._translate(exc)
            metrics.record_failure(self.name, err.reason)
            raise err from None
        latency = time.perf_counter() - started
        prompt_tokens = (usage.prompt_token_count if usage else None) or estimate_tokens(messages)
        completion_tokens = (usage.candidates_token_count if usage else None) or max(1, len(text) // 4)
        return finish(backend=self.name, model=self.config.model, text=text, schema=schema,
                      prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, latency_s=latency,
                      ttft_s=ttft)

    async def health(self) -> bool:
        """Gemini has no cheap health probe; a configured client counts as healthy (the breaker does the rest)."""
        return True

    async def close(self) -> None:
        try:
            await self._client.aio.aclose()
        except AttributeError:  # older SDKs have no aclose
            pass

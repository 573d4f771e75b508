"""Prometheus metrics for Lorekeeper, in one registry of our own.

Code reports into these through small `record_*` / `set_*` / `observe_*` functions so the metric names live in
one place (`monitoring.instruments`, every name re-exported here); `start_exporter(port)` serves `/metrics` for
Prometheus (idempotent; a port already taken is a logged warning, not a crash). A private registry (not
prometheus-client's global one) keeps tests independent of other libraries. This module imports the collectors
and the relay; they import `instruments`, never this module.

What is read rather than pushed — GPUs (`monitoring.gpu`), vLLM's own `/metrics` (`monitoring.vllm`),
the live sessions (`monitoring.sessions`) and the host — is collected at scrape time, so it costs a
message nothing. Labels are bounded: backend, model, reason, campaign, GPU index, database operation;
never a message, a player or a free-form error text.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from prometheus_client import generate_latest, start_http_server

from monitoring import gpu, host, sessions, vllm
from monitoring.instruments import (
    BREAKER_STATES,
    REGISTRY,
    Samples,
    _matching,  # noqa: F401 - tests read one series through `metrics._matching`
    label,
    observe_batch,
    observe_db_write,
    observe_dm_turn,
    pushed_gpus,
    pushed_samples,
    quantile,
    record_failure,
    record_fallback,
    record_generation,
    record_message,
    record_processed,
    record_prompt_reuse,
    sample,
    set_breaker_state,
    set_campaign_queue_depth,
    set_gpu_memory,
    set_queue_depth,
)
from monitoring.relay import MergedView

__all__ = [
    "BREAKER_STATES",
    "DEFAULT_PORT",
    "REGISTRY",
    "Samples",
    "ensure_collectors",
    "exporter_port",
    "label",
    "observe_batch",
    "observe_db_write",
    "observe_dm_turn",
    "quantile",
    "record_failure",
    "record_fallback",
    "record_generation",
    "record_message",
    "record_processed",
    "record_prompt_reuse",
    "pushed_gpus",
    "pushed_samples",
    "sample",
    "scrape",
    "set_breaker_state",
    "set_campaign_queue_depth",
    "set_gpu_memory",
    "set_queue_depth",
    "start_exporter",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 9108

# --- the exporter ---------------------------------------------------------------------------------------

_exporter_lock = threading.Lock()
_exporter: dict[str, Any] = {}


def exporter_port() -> int | None:
    """The port this process serves /metrics on (None: not started)."""
    return _exporter.get("port")


def _port_from_env() -> int:
    raw = os.environ.get("METRICS_PORT", "").strip()
    try:
        return int(raw) if raw else DEFAULT_PORT
    except ValueError:
        log.warning("METRICS_PORT=%r is not a port number; using %d", raw, DEFAULT_PORT)
        return DEFAULT_PORT


def ensure_collectors(*, vllm_url: str | None = None) -> None:
    """Register the scrape-time collectors (GPU, host, sessions; vLLM when `vllm_url`) once."""
    gpu.register(REGISTRY)
    host.register(REGISTRY)
    sessions.register(REGISTRY)
    if vllm_url:
        vllm.register(REGISTRY, vllm_url)


def scrape() -> str:
    """The exposition text Prometheus would read now (the collectors included)."""
    ensure_collectors()
    return generate_latest(REGISTRY).decode("utf-8")


def start_exporter(port: int | None = None, addr: str | None = None, *, vllm_url: str | None = None) -> int | None:
    """Serve `/metrics` on `addr:port` from a daemon thread; returns the port, or None when not serving.

    `port` None reads METRICS_PORT (default 9108); 0 switches the exporter off. `addr` None reads METRICS_HOST
    (default 0.0.0.0, for a Prometheus in a container; 127.0.0.1 keeps it to this machine). Idempotent: a second call
    returns the port already served. A port already taken is logged as a warning, never raised. `vllm_url`
    (http://host:port) relays that vLLM server's own metrics when it runs.
    """
    port = _port_from_env() if port is None else int(port)
    addr = addr or os.environ.get("METRICS_HOST", "").strip() or "0.0.0.0"
    with _exporter_lock:
        ensure_collectors(vllm_url=vllm_url)
        if "port" in _exporter:
            return _exporter["port"]  # type: ignore[no-any-return]
        if port <= 0:
            return None
        try:
            # Ray actors' figures join ours when this process drives Ray
            server, thread = start_http_server(port, addr=addr, registry=MergedView(REGISTRY))  # type: ignore[arg-type]
        except OSError as exc:  # EADDRINUSE (another Lorekeeper), EACCES: the game goes on without metrics
            log.warning("metrics exporter not started: %s:%d is not available (%s); set METRICS_PORT to a free "
                        "port", addr, port, exc.strerror or exc)  # fmt: skip
            return None
        _exporter.update(port=server.server_port, server=server, thread=thread)
    log.info("metrics exporter listening on %s:%d", addr, _exporter["port"])
    return _exporter["port"]  # type: ignore[no-any-return]

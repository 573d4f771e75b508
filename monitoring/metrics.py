"""Prometheus metrics for Lorekeeper, in one registry of our own.

Inference reports into these through the small `record_*` / `set_*` functions so the metric
names live in one place; `start_exporter(port)` serves `/metrics` for Prometheus. A private
registry (not prometheus-client's global one) keeps tests independent of other libraries.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = [
    "BREAKER_STATES",
    "REGISTRY",
    "record_failure",
    "record_fallback",
    "record_generation",
    "record_prompt_reuse",
    "sample",
    "set_breaker_state",
    "set_campaign_queue_depth",
    "set_gpu_memory",
    "set_queue_depth",
    "start_exporter",
]

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)

LLM_TOKENS = Counter("lorekeeper_llm_tokens", "Tokens processed by a backend", ["backend", "kind"], registry=REGISTRY)
LLM_REQUESTS = Counter("lorekeeper_llm_requests", "Model calls by outcome", ["backend", "outcome"], registry=REGISTRY)
LLM_LATENCY = Histogram("lorekeeper_llm_latency_seconds", "Whole model call, seconds", ["backend"],
                        buckets=_LATENCY_BUCKETS, registry=REGISTRY)
LLM_TTFT = Histogram("lorekeeper_llm_ttft_seconds", "Time to first token, seconds", ["backend"],
                     buckets=_LATENCY_BUCKETS, registry=REGISTRY)
LLM_TOKENS_PER_S = Gauge("lorekeeper_llm_tokens_per_second", "Decode speed of the last call", ["backend"],
                         registry=REGISTRY)
LLM_FALLBACKS = Counter("lorekeeper_llm_fallbacks", "Router moved past a backend", ["backend", "reason"],
                        registry=REGISTRY)
LLM_BREAKER = Gauge("lorekeeper_llm_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open", ["backend"],
                    registry=REGISTRY)
LLM_QUEUE = Gauge("lorekeeper_llm_queue_depth", "Requests waiting or running on a backend", ["backend"],
                  registry=REGISTRY)
CAMPAIGN_QUEUE = Gauge("lorekeeper_campaign_queue_depth", "Model requests of a campaign waiting in the fair queue",
                       ["campaign"], registry=REGISTRY)
GPU_MEMORY = Gauge("lorekeeper_gpu_memory_bytes", "GPU memory", ["gpu", "kind"], registry=REGISTRY)

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def record_generation(backend: str, *, prompt_tokens: int, completion_tokens: int, latency_s: float,
                      ttft_s: float) -> None:
    """Count one successful call: tokens, latency, time to first token, decode speed."""
    LLM_REQUESTS.labels(backend, "ok").inc()
    LLM_TOKENS.labels(backend, "prompt").inc(prompt_tokens)
    LLM_TOKENS.labels(backend, "completion").inc(completion_tokens)
    LLM_LATENCY.labels(backend).observe(latency_s)
    LLM_TTFT.labels(backend).observe(ttft_s)
    decode = latency_s - ttft_s
    if decode > 0:
        LLM_TOKENS_PER_S.labels(backend).set(completion_tokens / decode)


def record_prompt_reuse(backend: str, reused_tokens: int) -> None:
    """Count prompt tokens whose KV came from a prefix cache, not a prefill (`kind="prompt_reused"`;
    the reuse rate is it over `kind="prompt"`)."""
    LLM_TOKENS.labels(backend, "prompt_reused").inc(reused_tokens)


def record_failure(backend: str, reason: str) -> None:
    """Count one failed call, labelled by the error's `reason`."""
    LLM_REQUESTS.labels(backend, reason).inc()


def record_fallback(backend: str, reason: str) -> None:
    """Count the router leaving `backend` for the next one, and why."""
    LLM_FALLBACKS.labels(backend, reason).inc()


def set_breaker_state(backend: str, state: str) -> None:
    LLM_BREAKER.labels(backend).set(BREAKER_STATES[state])


def set_queue_depth(backend: str, depth: int) -> None:
    LLM_QUEUE.labels(backend).set(depth)


def set_campaign_queue_depth(campaign: str, depth: int) -> None:
    """Requests of one campaign waiting their round-robin turn (inference.fair_queue)."""
    CAMPAIGN_QUEUE.labels(campaign).set(depth)


def set_gpu_memory(gpu: int, *, used_bytes: int, total_bytes: int) -> None:
    GPU_MEMORY.labels(str(gpu), "used").set(used_bytes)
    GPU_MEMORY.labels(str(gpu), "total").set(total_bytes)


def sample(name: str, **labels: str) -> float:
    """Current value of one sample (0.0 when never recorded); for status output and tests."""
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else float(value)


def start_exporter(port: int, addr: str = "0.0.0.0") -> None:
    """Serve `/metrics` on `addr:port` from a daemon thread."""
    start_http_server(port, addr=addr, registry=REGISTRY)
    log.info("metrics exporter listening on %s:%d", addr, port)

"""The metric objects of Lorekeeper's own Prometheus registry and the small functions code reports through.

`monitoring.metrics` is the public face (it re-exports every name here and serves `/metrics`); the scrape-time
collectors (`gpu`, `sessions`) and the relay of Ray actors' figures (`relay`) import this module, never
`metrics`, so the dependencies run one way: metrics → gpu, sessions, relay → instruments.

Labels are bounded: backend, model, reason, campaign, GPU index, database operation; never a message, a player
or a free-form error text.
"""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

__all__ = [
    "BREAKER_STATES",
    "PUSHED",
    "REGISTRY",
    "Samples",
    "label",
    "observe_batch",
    "observe_db_write",
    "observe_dm_turn",
    "pushed_gpus",
    "pushed_samples",
    "quantile",
    "record_failure",
    "record_fallback",
    "record_generation",
    "record_message",
    "record_processed",
    "record_prompt_reuse",
    "sample",
    "set_breaker_state",
    "set_campaign_queue_depth",
    "set_gpu_memory",
    "set_queue_depth",
]

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, process_resident_memory_bytes, ...

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)
_SPEED_BUCKETS = (1, 2, 5, 10, 20, 40, 80, 160, 320, 640)
_BATCH_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20)
_DB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

# --- inference ---------------------------------------------------------------------------------------------

LLM_TOKENS = Counter("lorekeeper_llm_tokens", "Tokens processed by a backend (kind: prompt, completion, "
                     "prompt_reused)", ["backend", "kind"], registry=REGISTRY)  # fmt: skip
LLM_REQUESTS = Counter("lorekeeper_llm_requests", "Model calls by outcome (ok or the failure's reason)",
                       ["backend", "outcome"], registry=REGISTRY)  # fmt: skip
LLM_ERRORS = Counter("lorekeeper_llm_errors", "Failed model calls by reason", ["backend", "reason"],
                     registry=REGISTRY)
LLM_TIMEOUTS = Counter("lorekeeper_llm_timeouts", "Model calls that ran out of time", ["backend"], registry=REGISTRY)
LLM_LATENCY = Histogram("lorekeeper_llm_latency_seconds", "Whole model call, seconds", ["backend", "model"],
                        buckets=_LATENCY_BUCKETS, registry=REGISTRY)
LLM_TTFT = Histogram("lorekeeper_llm_ttft_seconds", "Time to first token, seconds", ["backend", "model"],
                     buckets=_LATENCY_BUCKETS, registry=REGISTRY)
LLM_SPEED = Histogram("lorekeeper_llm_decode_tokens_per_second", "Decode speed of each call, tokens per second",
                      ["backend", "model"], buckets=_SPEED_BUCKETS, registry=REGISTRY)
LLM_TOKENS_PER_S = Gauge("lorekeeper_llm_tokens_per_second", "Decode speed of the last call, tokens per second",
                         ["backend", "model"], registry=REGISTRY)
LLM_FALLBACKS = Counter("lorekeeper_llm_fallbacks", "Router moved past a backend, by reason", ["backend", "reason"],
                        registry=REGISTRY)
LLM_BREAKER = Gauge("lorekeeper_llm_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open", ["backend"],
                    registry=REGISTRY)
LLM_QUEUE = Gauge("lorekeeper_llm_queue_depth", "Requests waiting or running on a backend", ["backend"],
                  registry=REGISTRY)
CAMPAIGN_QUEUE = Gauge("lorekeeper_campaign_queue_depth", "Model requests of a campaign waiting in the fair queue",
                       ["campaign"], registry=REGISTRY)

# --- sessions (dm.session, through monitoring.sessions) ----------------------------------------------------

MESSAGES_RECEIVED = Counter("lorekeeper_messages_received", "Player messages taken by a session (kind: command, "
                            "talk)", ["campaign", "kind"], registry=REGISTRY)  # fmt: skip
MESSAGES_PROCESSED = Counter("lorekeeper_messages_processed", "Player messages answered (a command, or talk by a "
                             "DM turn)", ["campaign"], registry=REGISTRY)  # fmt: skip
BATCH_SIZE = Histogram("lorekeeper_batch_size_messages", "Messages one DM turn answers", ["campaign"],
                       buckets=_BATCH_BUCKETS, registry=REGISTRY)
DM_TURN = Histogram("lorekeeper_dm_turn_duration_seconds", "One DM turn, model included, seconds", ["campaign"],
                    buckets=_LATENCY_BUCKETS, registry=REGISTRY)
DM_TURN_FAILURES = Counter("lorekeeper_dm_turn_failures", "DM turns that raised (their messages stay pending)",
                           ["campaign"], registry=REGISTRY)

# --- the database (persistence.database) ------------------------------------------------------------------

DB_WRITE = Histogram("lorekeeper_db_write_duration_seconds", "A write (a transaction or a statement), seconds",
                     ["op"], buckets=_DB_BUCKETS, registry=REGISTRY)
DB_ERRORS = Counter("lorekeeper_db_errors", "Database operations that failed, by reason", ["op", "reason"],
                    registry=REGISTRY)

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
_LABEL = re.compile(r"[^a-z0-9_.:/-]+")
_pushed_gpus: dict[int, tuple[int, int]] = {}  # set_gpu_memory: gpu → (used, total), read by monitoring.gpu


def label(value: Any, *, limit: int = 64) -> str:
    """A bounded, tidy label value: lower case, odd characters squeezed to `_`, at most `limit` characters."""
    text = _LABEL.sub("_", str(value).strip().lower())[:limit].strip("_")
    return text or "unknown"


# --- inference ------------------------------------------------------------------------------------------


def record_generation(backend: str, *, prompt_tokens: int, completion_tokens: int, latency_s: float,
                      ttft_s: float, model: str = "") -> None:  # fmt: skip
    """Count one successful call: tokens, latency, time to first token, decode speed."""
    model = model or "default"
    LLM_REQUESTS.labels(backend, "ok").inc()
    LLM_TOKENS.labels(backend, "prompt").inc(max(0, prompt_tokens))
    LLM_TOKENS.labels(backend, "completion").inc(max(0, completion_tokens))
    LLM_LATENCY.labels(backend, model).observe(latency_s)
    LLM_TTFT.labels(backend, model).observe(ttft_s)
    decode = latency_s - ttft_s  # without a stream (TTFT unknown, equal to the latency): the whole call's rate
    span = decode if decode > 0 else latency_s
    if span > 0 and completion_tokens > 0:
        speed = completion_tokens / span
        LLM_TOKENS_PER_S.labels(backend, model).set(speed)
        LLM_SPEED.labels(backend, model).observe(speed)


def record_prompt_reuse(backend: str, reused_tokens: int) -> None:
    """Count prompt tokens whose KV came from a prefix cache, not a prefill (`kind="prompt_reused"`;
    the reuse rate is it over `kind="prompt"`)."""
    LLM_TOKENS.labels(backend, "prompt_reused").inc(reused_tokens)


def record_failure(backend: str, reason: str) -> None:
    """Count one failed call, labelled by the error's `reason` (a short machine label)."""
    reason = label(reason, limit=32)
    LLM_REQUESTS.labels(backend, reason).inc()
    LLM_ERRORS.labels(backend, reason).inc()
    if reason == "timeout":
        LLM_TIMEOUTS.labels(backend).inc()


def record_fallback(backend: str, reason: str) -> None:
    """Count the router leaving `backend` for the next one, and why."""
    LLM_FALLBACKS.labels(backend, label(reason, limit=32)).inc()


def set_breaker_state(backend: str, state: str) -> None:
    LLM_BREAKER.labels(backend).set(BREAKER_STATES[state])


def set_queue_depth(backend: str, depth: int) -> None:
    LLM_QUEUE.labels(backend).set(depth)


def set_campaign_queue_depth(campaign: str, depth: int) -> None:
    """Requests of one campaign waiting their round-robin turn (inference.fair_queue)."""
    CAMPAIGN_QUEUE.labels(campaign).set(depth)


def set_gpu_memory(gpu: int, *, used_bytes: int, total_bytes: int) -> None:
    """Memory of a GPU read elsewhere (the vLLM actor's fit check); reported with the GPU gauges when this
    process cannot read NVML itself."""
    _pushed_gpus[int(gpu)] = (int(used_bytes), int(total_bytes))


def pushed_gpus() -> dict[int, tuple[int, int]]:
    return dict(_pushed_gpus)


# --- sessions and the database ------------------------------------------------------------------------


def record_message(campaign: str, kind: str) -> None:
    MESSAGES_RECEIVED.labels(campaign, kind).inc()


def record_processed(campaign: str, count: int = 1) -> None:
    if count > 0:
        MESSAGES_PROCESSED.labels(campaign).inc(count)


def observe_batch(campaign: str, size: int) -> None:
    BATCH_SIZE.labels(campaign).observe(size)


def observe_dm_turn(campaign: str, seconds: float, *, failed: bool = False) -> None:
    DM_TURN.labels(campaign).observe(seconds)
    failures = DM_TURN_FAILURES.labels(campaign)  # the series exists (at 0) from the campaign's first turn
    if failed:
        failures.inc()


def observe_db_write(op: str, seconds: float, error: str | None = None) -> None:
    """One database write (`op`: transaction or execute) and, when it failed, the error's reason."""
    DB_WRITE.labels(op).observe(seconds)
    if error is not None:
        DB_ERRORS.labels(op, label(error, limit=40)).inc()


# --- reading back -------------------------------------------------------------------------------------


PUSHED = (  # what code pushes into (an actor relays these); never the scrape-time collectors
    LLM_TOKENS, LLM_REQUESTS, LLM_ERRORS, LLM_TIMEOUTS, LLM_LATENCY, LLM_TTFT, LLM_SPEED, LLM_TOKENS_PER_S,
    LLM_FALLBACKS, LLM_BREAKER, LLM_QUEUE, CAMPAIGN_QUEUE, MESSAGES_RECEIVED, MESSAGES_PROCESSED, BATCH_SIZE,
    DM_TURN, DM_TURN_FAILURES, DB_WRITE, DB_ERRORS,
)


Samples = list[tuple[str, dict[str, str], float]]


def pushed_samples() -> Samples:
    """(name, labels, value) of every sample of the metrics code pushes into (never the scrape-time collectors:
    no NVML or HTTP here)."""
    return [(s.name, s.labels, float(s.value)) for metric in PUSHED for family in metric.collect()
            for s in family.samples]  # fmt: skip


def _matching(name: str, labels: dict[str, str], samples: Samples | None = None) -> list[tuple[dict[str, str], float]]:
    return [(found, value) for sample_name, found, value in (pushed_samples() if samples is None else samples)
            if sample_name == name and all(found.get(k) == v for k, v in labels.items())]  # fmt: skip


def sample(name: str, **labels: str) -> float:
    """Current value of one sample, summed over the labels not given (0.0 when never recorded); for status
    output and tests. `sample("lorekeeper_llm_ttft_seconds_count", backend="vllm")` counts every model's calls."""
    return sum(value for _, value in _matching(name, labels))


def quantile(histogram: str, q: float, samples: Samples | None = None, **labels: str) -> float | None:
    """The `q` quantile of a histogram since start (as PromQL's histogram_quantile interpolates it within a
    bucket), over every series matching `labels` (in `samples`, default this process's); None when nothing was
    observed."""
    buckets: dict[float, float] = {}
    for sample_labels, value in _matching(histogram + "_bucket", labels, samples):
        bound = float(sample_labels["le"])
        buckets[bound] = buckets.get(bound, 0.0) + value
    if not buckets or buckets.get(float("inf"), 0.0) <= 0:
        return None
    bounds = sorted(buckets)
    rank = q * buckets[float("inf")]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower  # in the open-ended bucket: its lower edge, as PromQL does
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside > 0 else 1.0)
        lower, below = bound, count
    return lower

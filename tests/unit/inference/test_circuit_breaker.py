"""The circuit breaker: closed → open after N failures → one half-open probe → closed/open."""

from __future__ import annotations

from inference.breaker import CircuitBreaker
from monitoring import metrics


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_consecutive_failures() -> None:
    breaker = CircuitBreaker("b-open", failure_threshold=3, reset_timeout_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    assert metrics.sample("lorekeeper_llm_breaker_state", backend="b-open") == 2


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("b-reset", failure_threshold=2, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker("b-probe", failure_threshold=1, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state == "half_open"
    assert breaker.allow() is True
    assert breaker.allow() is False  # the probe is in flight
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_failed_probe_reopens_for_a_full_period() -> None:
    clock = Clock()
    breaker = CircuitBreaker("b-reopen", failure_threshold=3, reset_timeout_s=10, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()  # one failure in half-open is enough
    assert breaker.state == "open"
    clock.now += 5
    assert not breaker.allow()


def test_half_open_now_skips_the_wait() -> None:
    breaker = CircuitBreaker("b-skip", failure_threshold=1, reset_timeout_s=300, clock=Clock())
    breaker.record_failure()
    breaker.half_open_now()
    assert breaker.state == "half_open"
    assert breaker.allow()

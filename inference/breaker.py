"""A per-backend circuit breaker: closed → open after N failures → half-open probe → closed.

`allow()` answers "may I send a request now?"; in half-open exactly one probe is let through
and its outcome decides. The clock is injectable so tests step time instead of sleeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from monitoring import metrics

__all__ = ["CircuitBreaker"]

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; probes again after `reset_timeout_s` seconds."""

    def __init__(self, name: str, *, failure_threshold: int = 3, reset_timeout_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._state = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        metrics.set_breaker_state(name, "closed")

    @property
    def state(self) -> str:
        """"closed", "open" or "half_open" (an open breaker past its timeout reads as half_open)."""
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_timeout_s:
            return "half_open"
        return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def _set(self, state: str) -> None:
        if state != self._state:
            log.info("circuit breaker %s: %s -> %s", self.name, self._state, state)
        self._state = state
        metrics.set_breaker_state(self.name, state)

    def allow(self) -> bool:
        """True when a request may go out now; in half-open, only the first caller gets the probe."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open":
            if self._state == "open":
                self._set("half_open")
            if not self._probe_in_flight:
                self._probe_in_flight = True
                return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._probe_in_flight = False
        self._set("closed")

    def record_failure(self) -> None:
        self._failures += 1
        self._probe_in_flight = False
        if self._state == "half_open" or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self._set("open")

    def cancel_probe(self) -> None:
        """The probe ended without a verdict (e.g. the prompt was too long for this model)."""
        self._probe_in_flight = False

    def half_open_now(self) -> None:
        """Skip the rest of the open period (a health check said the backend is back)."""
        if self._state == "open":
            self._opened_at = self._clock() - self.reset_timeout_s

"""Sessions' metrics: a `dm.session` observer (pushed, per message) plus a collector read at scrape time.

`SessionMetrics` is what `gateway.observability.install_observers` appends to `dm.session.OBSERVERS` (this
package imports nothing of ours; a session is only duck-typed: `channel_id`, `table`, `status()`). Per
message it costs a label lookup and a counter increment; the gauges (sessions open and active, messages
pending, closed batches queued, turns in flight) are computed from the live sessions when Prometheus scrapes.

The campaign label is the campaign's name (bounded by the campaigns an operator runs), or `unknown` until
the session's table has loaded its campaign. Never a player, a message or a channel id.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

from monitoring import instruments

__all__ = ["SessionCollector", "SessionMetrics", "campaign_label", "live_sessions", "observer", "register"]

_UNKNOWN = "unknown"
_ACTIVE_WINDOW_S = 15 * 60.0  # a session with activity this recent is active (SessionConfig.active_window_s)

_lock = threading.Lock()
_sessions: dict[int, weakref.ref[Any]] = {}
_labels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def campaign_label(session: Any) -> str:
    """The session's campaign as a metric label (cached once known)."""
    try:
        known = _labels.get(session)
    except TypeError:  # not weak-referenceable: no cache
        known = None
    if known is not None:
        return known
    name = None
    lookup = getattr(getattr(session, "table", None), "campaign_name", None)
    if callable(lookup):
        try:
            name = lookup(session.channel_id)
        except Exception:  # noqa: BLE001 - a label never breaks a session
            name = None
    if not name:
        return _UNKNOWN
    value = instruments.label(name)
    try:
        _labels[session] = value
    except TypeError:
        pass
    return value


def live_sessions() -> list[Any]:
    """The sessions of this process that are still alive."""
    with _lock:
        refs = list(_sessions.items())
    alive = []
    for key, ref in refs:
        session = ref()
        if session is None:
            with _lock:
                _sessions.pop(key, None)
        else:
            alive.append(session)
    return alive


class SessionMetrics:
    """The `dm.session.SessionObserver` that feeds Prometheus (see the module docstring)."""

    def opened(self, session: Any) -> None:
        with _lock:
            _sessions[id(session)] = weakref.ref(session)

    def received(self, session: Any, kind: str) -> None:
        instruments.record_message(campaign_label(session), kind)

    def processed(self, session: Any, count: int) -> None:
        instruments.record_processed(campaign_label(session), count)

    def batch_closed(self, session: Any, size: int) -> None:
        instruments.observe_batch(campaign_label(session), size)

    def turn_done(self, session: Any, seconds: float, messages: int, failed: bool) -> None:
        campaign = campaign_label(session)
        instruments.observe_dm_turn(campaign, seconds, failed=failed)
        if not failed:
            instruments.record_processed(campaign, messages)


_observer = SessionMetrics()


def observer() -> SessionMetrics:
    return _observer


class SessionCollector:
    """Sessions open and active; per campaign: messages pending, closed batches queued, DM turns in flight."""

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        sessions = live_sessions()
        pending: dict[str, float] = {}
        queued: dict[str, float] = {}
        in_flight: dict[str, float] = {}
        active = 0
        for session in sessions:
            try:
                status = session.status()
            except Exception:  # noqa: BLE001 - a session mid-change is read at the next scrape
                continue
            campaign = campaign_label(session)
            pending[campaign] = pending.get(campaign, 0.0) + float(status.get("pending", 0))
            queued[campaign] = queued.get(campaign, 0.0) + float(status.get("queued_batches", 0))
            in_flight[campaign] = in_flight.get(campaign, 0.0) + float(status.get("in_flight", 0))
            idle = status.get("idle_s")
            window = getattr(getattr(session, "config", None), "active_window_s", _ACTIVE_WINDOW_S)
            if idle is not None and idle <= window:
                active += 1
        opened = GaugeMetricFamily("lorekeeper_sessions_open", "Sessions (one per campaign channel) in this process")
        opened.add_metric([], float(len(sessions)))
        yield opened
        live = GaugeMetricFamily("lorekeeper_sessions_active", "Sessions with a message in their active window")
        live.add_metric([], float(active))
        yield live
        for name, help_text, values in (
            ("lorekeeper_messages_pending", "Player messages taken but not yet answered", pending),
            ("lorekeeper_session_queue_depth", "Closed batches waiting for the DM turn in flight", queued),
            ("lorekeeper_dm_turns_in_flight", "DM turns being generated now", in_flight),
        ):  # fmt: skip
            family = GaugeMetricFamily(name, help_text, labels=["campaign"])
            for campaign, value in sorted(values.items()):
                family.add_metric([campaign], value)
            yield family


_registered: set[int] = set()


def register(registry: Any) -> None:
    if id(registry) not in _registered:
        registry.register(SessionCollector())
        _registered.add(id(registry))

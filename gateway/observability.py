"""Monitoring wired into a running Lorekeeper: the session and database observers, and the exporter.

    install_observers()            # every dm.session.Session and database write of this process → metrics
    start_monitoring(settings)     # the above, plus /metrics on METRICS_PORT (default 9108; 0: off)

`play`, `bot` and `llm serve` call `start_monitoring`; `open_table` calls `install_observers` (idempotent),
so a table built anywhere reports. Neither ever raises for a monitoring problem: a port already taken is
a warning and the game goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from monitoring import metrics

__all__ = ["install_observers", "start_monitoring", "vllm_metrics_url"]

log = logging.getLogger(__name__)


def install_observers(*, database_writes: bool = True) -> None:
    """Sessions (dm.session.OBSERVERS) and database writes (persistence.database.WRITE_OBSERVERS) → metrics.
    `database_writes` False: a process that never writes itself (a session actor: the persistence actor does)
    does not import the driver (psycopg, ~5 MB a process) only to hook it."""
    from dm import session
    from monitoring import sessions

    observer = sessions.observer()
    if observer not in session.OBSERVERS:
        session.OBSERVERS.append(observer)
    if not database_writes:
        return
    try:
        from persistence import database
    except ImportError:  # pragma: no cover - persistence is always installed
        return
    hooks = getattr(database, "WRITE_OBSERVERS", None)
    if hooks is not None and metrics.observe_db_write not in hooks:
        hooks.append(metrics.observe_db_write)


def vllm_metrics_url(settings: Any) -> str | None:
    """vLLM's root URL when it is in the inference plan (a GPU here, or a remote VLLM_HOST), else None."""
    from inference.factory import inference_plan

    try:
        plan = inference_plan(settings)
    except Exception:  # noqa: BLE001 - a plan that cannot be made has no vLLM to relay
        return None
    return f"http://{settings.vllm_host}:{settings.vllm_port}" if "vllm" in plan.names else None


def start_monitoring(settings: Any, *, vllm: bool | None = None) -> int | None:
    """Install the observers and serve /metrics on METRICS_PORT; returns the port (None: not serving).
    `vllm` True relays vLLM's metrics (`llm serve`), None when vLLM is in the plan, False never."""
    install_observers()
    url = None
    if vllm is True:
        url = f"http://{settings.vllm_host}:{settings.vllm_port}"
    elif vllm is None:
        url = vllm_metrics_url(settings)
    try:
        return metrics.start_exporter(settings.metrics_port, settings.metrics_host, vllm_url=url)
    except Exception as exc:  # noqa: BLE001 - monitoring never stops a game
        log.warning("metrics exporter not started: %s", exc)
        return None

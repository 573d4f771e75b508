"""Fault points for crash tests: a test sets LOREKEEPER_FAULT_POINT=NAME and the process SIGKILLs
itself when it reaches that point (e.g. between a turn's state write and its processed flag).

Unset (always, outside tests), a fault point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "fault_point"]

FAULT_ENV = "LOREKEEPER_FAULT_POINT"


def fault_point(name: str) -> None:
    """Die at once, as from `kill -9`, when the environment names this point."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

"""The pid file of a `vllm serve` child, so a new owner can reap the orphan of a dead one.

The server runs in its own session (its process group is its pid) so that stopping it reaches vLLM's
engine-core workers; the price is that it outlives an owner that is killed (a Ray actor's process
dies with SIGKILL and runs no cleanup). The owner therefore writes `{"pid", "argv", "owner"}` to a pid
file keyed by host and port when it starts the child, and removes it when the child is gone. The next
owner of that port calls `reap_orphan` before it starts its own: when the recorded owner process is
gone and the child is still running *with the same argv* (so a recycled pid is never mistaken for it),
the child is stopped with its whole group, SIGTERM then SIGKILL. A server whose owner still runs, or
one started by anyone else (no pid file of ours names it), is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["default_pid_file", "forget", "reap_orphan", "record"]

log = logging.getLogger(__name__)


def default_pid_file(host: str, port: int) -> str:
    """Per user, host and port, in the temp dir: the same path for every owner of that port on this machine."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return str(Path(tempfile.gettempdir()) / f"lorekeeper-vllm-{uid}" / f"{host or 'any'}-{port}.pid")


def record(path: str, pid: int, argv: Sequence[str]) -> None:
    """Write the pid file (atomically; a failure is logged, never fatal: the server runs regardless)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_suffix(f".tmp{os.getpid()}")
        scratch.write_text(json.dumps({"pid": pid, "argv": list(argv), "owner": os.getpid()}), encoding="utf-8")
        scratch.replace(target)
    except OSError as exc:
        log.warning("cannot write the vLLM pid file %s: %s", path, exc)


def forget(path: str, pid: int | None = None) -> None:
    """Remove the pid file (only if it still names `pid`, when given: a newer owner's file is kept)."""
    target = Path(path)
    try:
        if pid is not None and _read(target).get("pid") != pid:
            return
        target.unlink(missing_ok=True)
    except OSError:
        pass


def reap_orphan(path: str, grace_s: float = 10.0) -> int | None:
    """Stop the server a dead owner left running, if the pid file names one; returns its pid or None.

    Blocking (at most `grace_s` plus a moment): the caller runs it in a thread.
    """
    target = Path(path)
    entry = _read(target)
    pid, argv, owner = entry.get("pid"), entry.get("argv"), entry.get("owner")
    if not isinstance(pid, int) or not isinstance(argv, list):
        forget(path)
        return None
    if isinstance(owner, int) and _running(owner):
        return None  # its owner still runs it: not an orphan (the port check refuses to start a second one)
    if _cmdline(pid) != [str(a) for a in argv]:
        forget(path)  # gone, or the pid now belongs to another program: nothing of ours to stop
        return None
    log.warning("a vLLM server (pid %d) from a previous owner is still running; stopping it", pid)
    _killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.1)
    _killpg(pid, signal.SIGKILL)  # the main process if it ignored SIGTERM, and its engine workers in any case
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    forget(path)
    return pid


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _cmdline(pid: int) -> list[str] | None:
    if not _running(pid):
        return None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode("utf-8", "replace").split("\0")[:-1]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie is reaped by init; it holds no port)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _killpg(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # started with start_new_session: its group id is its pid
    except ProcessLookupError:
        pass
    except PermissionError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass

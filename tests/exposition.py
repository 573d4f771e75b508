"""Prometheus text exposition as the tests read it: one value per `name{labels}` line."""

from __future__ import annotations

__all__ = ["samples"]


def samples(text: str, *, skip_created: bool = False) -> dict[str, float]:
    """Every sample line of a `/metrics` page (comments left out; `_created` lines too when asked)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or (skip_created and "_created" in line):
            continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out

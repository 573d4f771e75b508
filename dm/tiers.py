"""Capability tiers: which kind of DM turn a backend can do.

    tier_for("vllm")                                  # "full": the whole turn (dm.turn)
    tier_for("embedded")                              # "reader": the module reads, the model picks (dm.reader)
    tier_for("scripted", reader=("scripted",))        # a scripted stand-in forced to the reader tier (tests)
    planned_tier(router)                              # the tier of the backend the router would try first

A capable model (vLLM's Llama, Gemini, xAI) writes the story and proposes effects. The embedded
SmolLM2-135M, given a full DM prompt, answers with schema-valid nonsense; it gets the reader turn.
The tier follows the backend that ANSWERED: the router's plan is only a guess (`planned_tier`), so
the turn checks `Generation.backend` and redoes itself in the right tier after a fallback.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final, Literal

__all__ = ["FULL", "READER", "READER_BACKENDS", "Tier", "planned_backend", "planned_tier", "tier_for"]

Tier = Literal["full", "reader"]
FULL: Final = "full"
READER: Final = "reader"
READER_BACKENDS: Final = frozenset({"embedded"})


def tier_for(backend_name: str, *, reader: Collection[str] = ()) -> Tier:
    """The tier of the backend called `backend_name`; names in `reader` are forced to the reader tier."""
    name = (backend_name or "").strip().lower()
    return READER if name in READER_BACKENDS or name in {r.lower() for r in reader} else FULL


def planned_backend(backend: Any) -> str:
    """The name of the backend a request would go to first: a router's `next_backend()`, else its own name."""
    upcoming = getattr(backend, "next_backend", None)
    if callable(upcoming):
        name = upcoming()
        if isinstance(name, str) and name:
            return name
    return str(getattr(backend, "name", "") or "")


def planned_tier(backend: Any, *, reader: Collection[str] = ()) -> Tier:
    """The tier of `planned_backend(backend)`."""
    return tier_for(planned_backend(backend), reader=reader)

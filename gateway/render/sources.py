"""The "Sources:" line under a DM turn's narrative: where its rulings and passages come from.

    sources_line([{"kind": "srd", "title": "SRD 5.1", "name": "Fireball", "page": 241},
                  {"kind": "campaign", "title": "The Drowned Lantern", "name": "The Quay", "page": 3}])
    → "Sources: SRD 5.1 p. 241 (Fireball); The Drowned Lantern p. 3 (The Quay)"
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["sources_line"]


def _one(source: dict[str, Any]) -> str:
    title = str(source.get("title") or ("SRD 5.1" if source.get("kind") == "srd" else "the campaign"))
    page = source.get("page")
    name = str(source.get("name") or source.get("section") or "").strip()
    text = title + (f" p. {page}" if page else "")
    return text + (f" ({name})" if name else "")


def sources_line(sources: Iterable[dict[str, Any]]) -> str:
    """One short line naming each source (title, page, entry); "" when there are none."""
    parts = [_one(s) for s in sources]
    return "Sources: " + "; ".join(parts) if parts else ""

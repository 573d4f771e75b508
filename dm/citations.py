"""Cited rulings: where a turn's rules and passages come from, as data for the renderer.

A source is a small dict: {"kind": "srd", "title": "SRD 5.1", "section": "Spells", "name": "Fireball",
"page": 241} for an SRD entry (a lookup the model asked for, or the spell, weapon or stat block the engine
applied), or {"kind": "campaign", "title": "The Drowned Lantern", "section": "The Quay", "page": 3,
"chunk_id": 12} for a passage of the campaign text the narrative draws on. The renderer writes the line
("Sources: SRD 5.1 p. 241 (Fireball); The Drowned Lantern p. 3 (The Quay)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from persistence.interfaces import RetrievedChunk, RulesMatch

__all__ = ["SRD_TITLE", "chunk_source", "cited_chunks", "merge_sources", "srd_source"]

SRD_TITLE = "SRD 5.1"
MAX_SOURCES = 6
_SECTIONS = {"spells": "Spells", "monsters": "Monsters", "magic_items": "Magic Items", "equipment": "Equipment",
             "conditions": "Conditions", "rules_sections": "Rules"}  # fmt: skip
_RUN = 6  # words in a row the narrative shares with a passage to cite it
_WORD = re.compile(r"[a-z0-9']+")


def srd_source(match: RulesMatch) -> dict[str, Any]:
    """The SRD section and page of a rules match (the page is None when the import did not keep one)."""
    record = match.record
    path = record.get("path") or ()
    section = str(record.get("section") or (path[0] if path else "") or _SECTIONS.get(match.kind, match.kind))
    page = record.get("page")
    return {"kind": "srd", "title": SRD_TITLE, "section": section, "name": match.name,
            "page": int(page) if isinstance(page, int) else None}  # fmt: skip


def chunk_source(chunk: RetrievedChunk, title: str) -> dict[str, Any]:
    """A campaign passage: the document's title, its heading and page."""
    section = chunk.heading_path[-1] if chunk.heading_path else ""
    return {"kind": "campaign", "title": title, "section": section, "name": section, "page": chunk.page,
            "chunk_id": chunk.id}  # fmt: skip


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + _RUN]) for i in range(len(words) - _RUN + 1)}


def cited_chunks(narrative: str, chunks: Sequence[RetrievedChunk]) -> list[RetrievedChunk]:
    """The passages the narrative draws on: it names the passage's heading, or shares six words in a row."""
    text = narrative.lower()
    runs = _runs(narrative)
    out = []
    for chunk in chunks:
        heading = (chunk.heading_path[-1] if chunk.heading_path else "").strip().lower()
        named = len(heading) >= 4 and re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", text) is not None
        if named or (runs and runs & _runs(chunk.text)):
            out.append(chunk)
    return out


def merge_sources(*groups: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The sources in order, each once (by title, page and name), at most `MAX_SOURCES`."""
    seen: set[tuple[Any, ...]] = set()
    out: list[dict[str, Any]] = []
    for group in groups:
        for source in group:
            key = (source.get("title"), source.get("page"), source.get("name"))
            if key not in seen:
                seen.add(key)
                out.append(source)
    return tuple(out[:MAX_SOURCES])

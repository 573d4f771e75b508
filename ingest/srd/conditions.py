"""The 15 conditions of Appendix PH-A (Exhaustion is a sidebar with a smaller heading)."""

from __future__ import annotations

from ingest.errors import SrdParseError
from ingest.srd.paragraphs import chapter_pages, paragraphs
from ingest.srd.entries import split_entries
from ingest.srd.layout import SrdDocument
from ingest.srd.models import Condition

__all__ = ["parse_conditions", "CONDITION_NAMES"]

CONDITION_NAMES = (
    "Blinded", "Charmed", "Deafened", "Exhaustion", "Frightened", "Grappled", "Incapacitated", "Invisible",
    "Paralyzed", "Petrified", "Poisoned", "Prone", "Restrained", "Stunned", "Unconscious",
)  # fmt: skip


def parse_conditions(doc: SrdDocument) -> list[Condition]:
    """The conditions in book order.

    Raises:
        SrdParseError: a condition has no text, or the appendix does not hold the 15 conditions.
    """
    first, last = chapter_pages(doc, "Appendix PH-A: Conditions")
    lines = doc.lines(first, last)
    stop = next((i for i, l in enumerate(lines) if l.page > first and l.is_heading() and l.size > 20), len(lines))
    lines = [l for l in lines[:stop] if not (l.is_heading() and l.size > 20)]
    _, entries = split_entries(lines, lambda l: l.is_heading(12.0) or l.is_heading(10.8))
    out = []
    for entry in entries:
        text = paragraphs(entry.body)
        if not text:
            raise SrdParseError(entry.name, entry.page, "no text")
        out.append(Condition(name=entry.name, description="\n".join(text), page=entry.page))
    names = tuple(sorted(c.name for c in out))
    if names != CONDITION_NAMES:
        raise SrdParseError("Appendix PH-A: Conditions", first, f"expected the 15 conditions, found {names}")
    return out

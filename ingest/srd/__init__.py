"""The SRD 5.1 PDF parsed into records: spells, monsters, magic items, equipment, conditions
and rules sections.

    records = parse_srd("data/srd/SRD5.1-CCBY4.0License.pdf")

Parsing is strict: an entry that does not have the SRD's shape raises ``SrdParseError``,
and the counts of spells, monsters and magic items are checked against an independent
count of the PDF's plain text (``SrdCountMismatch``), so nothing half-parsed gets stored.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ingest.errors import NotAnSrd, SrdCountMismatch
from ingest.srd.conditions import parse_conditions
from ingest.srd.counts import independent_counts
from ingest.srd.equipment import parse_equipment
from ingest.srd.layout import SrdDocument, open_srd
from ingest.srd.magic_items import parse_magic_items
from ingest.srd.models import Condition, Equipment, MagicItem, Monster, NamedText, RulesSection, Spell, SrdRecords
from ingest.srd.monsters import parse_monsters
from ingest.srd.rules_sections import parse_rules_sections
from ingest.srd.spells import parse_spells

__all__ = [
    "parse_srd",
    "parse_document",
    "check_is_srd",
    "DEFAULT_SRD_PDF",
    "REQUIRED_BOOKMARKS",
    "SrdRecords",
    "Spell",
    "Monster",
    "NamedText",
    "MagicItem",
    "Equipment",
    "Condition",
    "RulesSection",
]

log = logging.getLogger(__name__)

DEFAULT_SRD_PDF = Path(__file__).resolve().parents[2] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
REQUIRED_BOOKMARKS = (
    "Equipment",
    "Spell Lists",
    "Spell Descriptions",
    "Magic Items A-Z",
    "Monsters (A-Z)",
    "Appendix PH-A: Conditions",
    "Appendix MM-A: Miscellaneous Creatures",
    "Appendix MM-B: Nonplayer Characters",
)


def check_is_srd(doc: SrdDocument) -> None:
    """Raise :class:`NotAnSrd` unless the PDF has the SRD 5.1's chapter bookmarks."""
    titles = {name for _lvl, name, _page in doc.toc}
    missing = [t for t in REQUIRED_BOOKMARKS if t not in titles]
    if missing:
        raise NotAnSrd(str(doc.path), missing)


def parse_document(doc: SrdDocument, timings: dict[str, float] | None = None) -> SrdRecords:
    """Parse an opened SRD; ``timings`` (if given) receives seconds per step."""
    check_is_srd(doc)
    t0 = time.perf_counter()
    doc.extract_all()
    t1 = time.perf_counter()
    records = SrdRecords(
        spells=parse_spells(doc),
        monsters=parse_monsters(doc),
        magic_items=parse_magic_items(doc),
        equipment=parse_equipment(doc),
        conditions=parse_conditions(doc),
        rules_sections=_merge_duplicate_paths(parse_rules_sections(doc)),
    )
    t2 = time.perf_counter()
    expected = independent_counts(doc)
    for kind, count in expected.items():
        parsed = len(getattr(records, kind))
        if parsed != count:
            raise SrdCountMismatch(kind.replace("_", " "), parsed, count)
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(extract=t1 - t0, parse=t2 - t1, verify=t3 - t2)
    log.info(
        "parsed the SRD",
        extra={kind: len(getattr(records, kind)) for kind in type(records).model_fields},
    )
    return records


def parse_srd(path: str | Path = DEFAULT_SRD_PDF, timings: dict[str, float] | None = None) -> SrdRecords:
    """Parse the SRD 5.1 PDF at ``path`` (default: the copy in ``data/srd/``).

    Raises:
        UnreadablePdf: missing, unreadable or encrypted file.
        NotAnSrd: a PDF without the SRD's chapters.
        SrdParseError: an entry does not have the SRD's shape.
        SrdCountMismatch: the parsed entries do not add up to the PDF's own count.
    """
    doc = open_srd(path)
    try:
        return parse_document(doc, timings)
    finally:
        doc.close()


def _merge_duplicate_paths(sections: list[RulesSection]) -> list[RulesSection]:
    """One section per heading path: a heading repeated under the same parent joins its texts."""
    merged: dict[tuple[str, ...], RulesSection] = {}
    for section in sections:
        key = tuple(section.path)
        if key in merged:
            first = merged[key]
            merged[key] = first.model_copy(update={"text": first.text + "\n" + section.text})
        else:
            merged[key] = section
    return list(merged.values())

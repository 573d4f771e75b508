"""Magic items: the "Magic Items A-Z" section.

An entry is a GillSans 12 pt name (long names wrap), an italic line
``Type (detail), rarity (requires attunement …)`` and the description. Variant items print
one rarity per variant (``uncommon (+1), rare (+2), or very rare (+3)``), which becomes
``rarities``; others say ``rarity varies`` and give the rarities in a table.
"""

from __future__ import annotations

import logging
import re

from ingest.errors import SrdParseError
from ingest.srd.blocks import chapter_pages, paragraphs
from ingest.srd.entries import Entry, lines_between, split_entries
from ingest.srd.layout import SrdDocument
from ingest.srd.models import MagicItem
from ingest.srd.text import join_lines

__all__ = ["parse_magic_items", "RARITIES"]

log = logging.getLogger(__name__)

RARITIES = ("common", "uncommon", "rare", "very rare", "legendary", "artifact")
_TYPES = ("Armor", "Potion", "Ring", "Rod", "Scroll", "Staff", "Wand", "Weapon", "Wondrous item")
_TYPE_RE = re.compile(r"^(?P<type>" + "|".join(_TYPES) + r")(?: \((?P<sub>[^)]*)\))?, (?P<rest>.+)$")
_ATTUNE_RE = re.compile(r" ?\(requires attunement(?: (?P<req>[^)]*))?\)$")
_RARITY = "|".join(sorted(RARITIES, key=len, reverse=True))
_VARIANT_RE = re.compile(rf"({_RARITY}) \(([^)]+)\)")
_RARITY_RE = re.compile(rf"^(?:{_RARITY}|rarity varies|rarity by figurine|varies)(?: \([^)]+\))?(?:(?:,| or|, or) (?:{_RARITY})(?: \([^)]+\))?)*$")


def parse_magic_items(doc: SrdDocument) -> list[MagicItem]:
    """Every magic item of "Magic Items A-Z", in book order.

    Raises:
        SrdParseError: an entry has no type/rarity line of the usual shape, or no description.
    """
    first, last = chapter_pages(doc, "Magic Items A-Z")
    lines = lines_between(
        doc.lines(first, last),
        start=lambda l: l.is_heading(18.0) and l.text == "Magic Items A-Z",
        stop=lambda l: l.is_heading() and l.size > 13,
    )
    _, entries = split_entries(lines, lambda l: l.is_heading(12.0))
    if not entries:
        raise SrdParseError("Magic Items A-Z", first, "no magic items found")
    return [_parse_item(e) for e in entries]


def _parse_item(entry: Entry) -> MagicItem:
    def fail(reason: str) -> SrdParseError:
        return SrdParseError(entry.name, entry.page, reason)

    body = list(entry.body)
    head: list[str] = []
    while body and body[0].first.italic and not body[0].first.bold and len(head) < 3:
        head.append(body.pop(0).text)
    type_line = join_lines(head)
    m = _TYPE_RE.match(type_line)
    if not m:
        raise fail(f"bad type/rarity line {type_line!r}")
    rest = m.group("rest")
    attune = _ATTUNE_RE.search(rest)
    rarity = rest[: attune.start()] if attune else rest
    rarity = rarity.strip()
    if not _RARITY_RE.match(rarity):
        raise fail(f"bad rarity {rarity!r}")
    variants = {label: r for r, label in _VARIANT_RE.findall(rarity)}
    text = paragraphs(body)
    if not text:
        raise fail("no description")
    return MagicItem(
        name=entry.name,
        type=m.group("type"),
        subtype=m.group("sub"),
        rarity=rarity,
        rarities=variants or None,
        attunement=attune is not None,
        attunement_requirement=attune.group("req") if attune else None,
        type_line=type_line,
        description="\n".join(text),
        page=entry.page,
    )

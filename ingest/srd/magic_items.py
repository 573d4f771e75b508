"""Magic items: the "Magic Items A-Z" section and the artifacts that follow it (the Orb of Dragonkind).

An entry is a GillSans 12 pt name (long names wrap), an italic line
``Type (detail), rarity (requires attunement …)`` and the description. Variant items print
one rarity per variant (``uncommon (+1), rare (+2), or very rare (+3)``), which becomes
``rarities``; others say ``rarity varies`` and give the rarities in a table or in one
paragraph per variant, which :func:`table_rarities` turns into ``rarities`` as well.
"""

from __future__ import annotations

import re

from ingest.errors import SrdParseError
from ingest.srd.paragraphs import chapter_pages, paragraphs
from ingest.srd.entries import Entry, lines_between, split_entries
from ingest.srd.layout import SrdDocument
from ingest.srd.models import MagicItem
from ingest.srd.text import join_lines

__all__ = ["parse_magic_items", "table_rarities", "RARITIES"]

RARITIES = ("common", "uncommon", "rare", "very rare", "legendary", "artifact")
_TYPES = ("Armor", "Potion", "Ring", "Rod", "Scroll", "Staff", "Wand", "Weapon", "Wondrous item")
_TYPE_RE = re.compile(r"^(?P<type>" + "|".join(_TYPES) + r")(?: \((?P<sub>[^)]*)\))?, (?P<rest>.+)$")
_ATTUNE_RE = re.compile(r" ?\(requires attunement(?: (?P<req>[^)]*))?\)$")
_RARITY = "|".join(sorted(RARITIES, key=len, reverse=True))
_VARIANT_RE = re.compile(rf"({_RARITY}) \(([^)]+)\)")
_CAP_RARITY = r"(?P<rarity>Common|Uncommon|Rare|Very [Rr]are|Legendary)"
# a table row: a short name, maybe a score, the rarity cell, then numbers or dice (or nothing)
_ROW_RARITY_RE = re.compile(rf"^(?P<label>[A-Z0-9][\w/' ]{{0,30}}?)(?: \d+)? {_CAP_RARITY}(?: [\d+][\dd +]*)?$")
# a variant paragraph: "Agility (Very Rare). Your Dexterity score ..."
_PARA_RARITY_RE = re.compile(rf"^(?P<label>[A-Z][\w' ,-]{{0,40}}?) \({_CAP_RARITY}\)\. ")
_RARITY_RE = re.compile(rf"^(?:{_RARITY}|rarity varies|rarity by figurine|varies)(?: \([^)]+\))?(?:(?:,| or|, or) (?:{_RARITY})(?: \([^)]+\))?)*$")


def table_rarities(paragraphs: list[str]) -> dict[str, str]:
    """Per-variant rarities of a "rarity varies" item, from its table or its variant paragraphs.

    ``Hill giant 21 Rare`` (Belt of Giant Strength), ``Healing Common 2d4 + 2`` (Potion of
    Healing), ``1st Common 13 +5`` (Spell Scroll) -> ``{"Hill giant": "rare", ...}``;
    ``Agility (Very Rare). Your Dexterity ...`` (Ioun Stone, Figurine of Wondrous Power)
    -> ``{"Agility": "very rare"}``. Keys as printed, rarities in lower case.
    """
    out: dict[str, str] = {}
    for text in paragraphs:
        m = _ROW_RARITY_RE.match(text) or _PARA_RARITY_RE.match(text)
        if m:
            out.setdefault(m.group("label"), m.group("rarity").lower())
    return out


def parse_magic_items(doc: SrdDocument) -> list[MagicItem]:
    """Every magic item of "Magic Items A-Z", then the artifacts of "Artifacts", in book order.

    Raises:
        SrdParseError: an entry has no type/rarity line of the usual shape, or no description.
    """
    items: list[MagicItem] = []
    for section in ("Magic Items A-Z", "Artifacts"):
        first, last = chapter_pages(doc, section)
        lines = lines_between(
            doc.lines(first, last),
            start=lambda l, title=section: l.is_heading(18.0) and l.text == title,
            stop=lambda l: l.is_heading() and l.size > 13,
        )
        _, entries = split_entries(lines, lambda l: l.is_heading(12.0))
        if not entries:
            raise SrdParseError(section, first, "no magic items found")
        items += [_parse_item(e) for e in entries]
    return items


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
    if not variants and ("varies" in rarity or "by figurine" in rarity):
        variants = table_rarities(text)
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

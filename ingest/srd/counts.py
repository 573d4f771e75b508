"""Independent counts of the SRD's entries, from pymupdf's plain text (not the layout layer).

The parsers work from styled spans grouped into columns and lines by ``layout``; these counts
run regular expressions over pymupdf's own lines of the same pages (``SrdDocument.plain_text``),
so a parser that drops or invents an entry is caught.
"""

from __future__ import annotations

import re

from ingest.srd.paragraphs import chapter_pages
from ingest.srd.layout import SrdDocument
from ingest.srd.text import clean

__all__ = ["independent_counts"]

_SPELL_RE = re.compile(r"^Casting Time:", re.MULTILINE)
_CHALLENGE_RE = re.compile(r"^Challenge [\d/]+ \([\d,]+ XP\)$", re.MULTILINE)
_ITEM_RE = re.compile(
    r"^(?:Armor|Potion|Ring|Rod|Scroll|Staff|Wand|Weapon|Wondrous item)(?: \([^)]*\))?,\s"
    r"(?:common|uncommon|rare|very\srare|legendary|artifact|rarity|varies)",
    re.MULTILINE,
)


def _plain_pages(doc: SrdDocument, pages: list[int]) -> str:
    return "\n".join(clean(line) for p in pages for line in doc.plain_text(p).split("\n"))


def _plain(doc: SrdDocument, first: int, last: int) -> str:
    return _plain_pages(doc, list(range(first, last + 1)))


def independent_counts(doc: SrdDocument) -> dict[str, int]:
    """``{"spells": n, "monsters": n, "magic_items": n}`` counted from the plain text."""
    sp = chapter_pages(doc, "Spell Descriptions")
    mi = chapter_pages(doc, "Magic Items A-Z")[0], chapter_pages(doc, "Artifacts")[1]
    pages: set[int] = set()  # a set: Appendix MM-A ends on the page where MM-B begins
    for section in ("Monsters (A-Z)", "Appendix MM-A: Miscellaneous Creatures", "Appendix MM-B: Nonplayer Characters"):
        first, last = chapter_pages(doc, section)
        pages.update(range(first, last + 1))
    monsters = len(_CHALLENGE_RE.findall(_plain_pages(doc, sorted(pages))))
    # magic items: the chapter runs on into "Sentient Magic Items", which has no type lines
    return {
        "spells": len(_SPELL_RE.findall(_plain(doc, *sp))),
        "monsters": monsters,
        "magic_items": len(_ITEM_RE.findall(_plain(doc, mi[0], mi[1]))),
    }

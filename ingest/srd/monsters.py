"""Monster stat blocks: the Monsters chapter and Appendices MM-A (creatures) and MM-B (NPCs).

A stat block is set in Calibri: a 12 pt bold name, an italic ``Size type (subtype), alignment``
line, bold-labelled fields (Armor Class … Challenge), the six ability scores, then traits,
``Actions``, ``Reactions`` and ``Legendary Actions`` (10.8 pt bold headers) whose entries open
with a bold name ending in a period. Lore text (Cambria) or the next heading ends the block.
A "Variant: ..." sidebar goes into its creature's description (see ``variants``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import fuzz

from ingest.errors import SrdParseError
from ingest.srd.paragraphs import chapter_pages, paragraphs
from ingest.srd.entries import Entry, split_entries
from ingest.srd.layout import Line, SrdDocument
from ingest.srd.models import Monster, NamedText
from ingest.srd.statblock import parse_fields
from ingest.srd.text import clean, join_lines
from ingest.srd.variants import Sidebar, attach_sidebars, sidebar_after

__all__ = ["parse_monsters", "MONSTER_SECTIONS", "is_monster_name"]

log = logging.getLogger(__name__)

MONSTER_SECTIONS = (
    ("Monsters (A-Z)", "Monsters"),
    ("Appendix MM-A: Miscellaneous Creatures", "Appendix MM-A: Miscellaneous Creatures"),
    ("Appendix MM-B: Nonplayer Characters", "Appendix MM-B: Nonplayer Characters"),
)
_SIZES = ("Tiny", "Small", "Medium", "Large", "Huge", "Gargantuan")
_TYPE_RE = re.compile(
    r"^(Tiny|Small|Medium|Large|Huge|Gargantuan) (.+?)(?: \(([^)]*)\))?, ([^,]+(?:, [^,]+)?)$"
)
_SECTION_HEADERS = {"Actions": "actions", "Reactions": "reactions", "Legendary Actions": "legendary_actions"}
# a spell-list line of a Spellcasting trait ("1st level (4 slots): ...", "At will: ...", "3/day each: ...")
_SPELL_LINE_RE = re.compile(r"^(Cantrips \(at will\)|\d+(?:st|nd|rd|th) level \(\d+ slots?\)|At will|\d+/day(?: each)?):")
_SPELL_LIST_RE = re.compile(r"^(Cantrips|\d+(?:st|nd|rd|th) level|At will|\d+/day|\*)", re.IGNORECASE)


def is_monster_name(line: Line) -> bool:
    return line.first.font.startswith("Calibri-Bold") and abs(line.first.size - 12.0) < 0.3 and line.all_bold()


def _ends_block(line: Line) -> bool:
    return line.is_heading() or line.first.font.startswith("Cambria")


def parse_monsters(doc: SrdDocument) -> list[Monster]:
    """Every stat block of the three monster sections, in book order.

    Raises:
        SrdParseError: a stat block lacks a field or a value does not have its usual shape.
    """
    out: list[Monster] = []
    for bookmark, section in MONSTER_SECTIONS:
        first, last = chapter_pages(doc, bookmark)
        lines = doc.lines(first, last)
        start = next((i for i, l in enumerate(lines) if l.is_heading() and l.size > 17), None)
        if start is None:
            raise SrdParseError(bookmark, first, "the section's title is missing")
        while start < len(lines) and lines[start].is_heading() and lines[start].size > 17:
            start += 1  # the title may wrap over several lines
        lines = lines[start:]
        stop = next((i for i, l in enumerate(lines) if l.is_heading() and l.size > 20), None)
        lines = lines[:stop]
        groups = _group_headings(lines, _families(doc, bookmark)) if section == "Monsters" else {}
        _, entries = split_entries(lines, is_monster_name)
        found: list[Monster] = []
        sidebars: list[Sidebar] = []
        for entry in entries:
            body = _block(entry.body)
            sidebar = sidebar_after(entry.body[len(body) :])
            if sidebar:
                sidebars.append(sidebar)
            if not body or not body[0].text.startswith(_SIZES):
                # a 12 pt Calibri-Bold line that is not a stat block's name (a table title)
                log.debug("skipping non-stat-block heading %r on page %d", entry.name, entry.page)
                continue
            lore = _lore(entry.body[len(body) :])
            found.append(_parse_block(entry, body, section, groups.get(id(entry.heading[0])), lore))
        out.extend(attach_sidebars(found, sidebars))
    if not out:
        raise SrdParseError("Monsters", None, "no stat blocks found")
    return out


def _families(doc: SrdDocument, bookmark: str) -> dict[str, set[str]]:
    """Family bookmarks one level under ``bookmark`` ("Angels") and all titles nested under each."""
    toc = doc.toc
    i = next(k for k, (_l, name, _p) in enumerate(toc) if name == bookmark)
    base = toc[i][0]
    families: dict[str, set[str]] = {}
    current: str | None = None
    for lvl, name, _page in toc[i + 1 :]:
        if lvl <= base:
            break
        if lvl == base + 2:
            current = name
        elif lvl > base + 2 and current is not None:
            families.setdefault(current, set()).add(name)
    return families


def _match(text: str, names: Iterable[str]) -> str | None:
    # the bookmarks have typos ("Gouls" for "Ghouls", "Brass Dragon Wyrming"), so compare loosely
    names = list(names)
    if text in names:
        return text
    best = max(names, key=lambda n: fuzz.ratio(text, n), default=None)
    return best if best is not None and fuzz.ratio(text, best) >= 85 else None


def _group_headings(lines: Sequence[Line], families: dict[str, set[str]]) -> dict[int, str | None]:
    """For each monster-name line, the 13.9 pt family heading above it ("Angels"), if any.

    A stat block belongs to the family heading above it when the family's bookmark lists it
    (a creature of its own, such as the unbookmarked Behir, can follow a family directly).
    """
    out: dict[int, str | None] = {}
    members: set[str] = set()
    group: str | None = None
    for line in lines:
        if line.is_heading(13.92):
            family = _match(line.text, families)
            group, members = (line.text, families[family]) if family else (None, set())
        elif is_monster_name(line):
            member = _match(line.text, members) or any(line.text.endswith(" " + m) for m in members)
            out[id(line)] = group if group and member else None
    return out


def _lore(rest: Sequence[Line]) -> str | None:
    """The Cambria prose right after a stat block, up to the next heading or Calibri line."""
    lines: list[Line] = []
    for line in rest:
        if line.is_heading() or not line.first.font.startswith("Cambria"):
            break
        lines.append(line)
    return "\n".join(paragraphs(lines)) or None


def _block(body: Sequence[Line]) -> list[Line]:
    out: list[Line] = []
    for line in body:
        if _ends_block(line):
            break
        out.append(line)
    return out


def _parse_block(entry: Entry, body: list[Line], section: str, group: str | None, lore: str | None) -> Monster:
    def fail(reason: str) -> SrdParseError:
        return SrdParseError(entry.name, entry.page, reason)

    i = 1
    while i < len(body) and body[i].first.italic and not body[i].first.bold:
        i += 1  # the type line wraps ("any non-lawful / alignment")
    type_line = join_lines([l.text for l in body[:i]])
    m = _TYPE_RE.match(type_line)
    if not m:
        raise fail(f"bad size/type line {type_line!r}")
    size, mtype, subtype, alignment = m.groups()
    field_lines: list[Line] = []
    while i < len(body) and not body[i].text.startswith("Challenge "):
        field_lines.append(body[i])
        i += 1
    if i == len(body):
        raise fail("no Challenge line")
    field_lines.append(body[i])
    i += 1
    # a wrapped Challenge value is rare but possible
    while i < len(body) and not body[i].first.bold:
        field_lines.append(body[i])
        i += 1
    fields = parse_fields(field_lines, fail)
    sections: dict[str, list[NamedText]] = {"traits": [], "actions": [], "reactions": [], "legendary_actions": []}
    legendary_intro: list[str] = []
    current = "traits"
    chunk: list[Line] = []

    def flush() -> None:
        if chunk:
            items, intro = _items(chunk, fail, hanging=current == "legendary_actions")
            sections[current].extend(items)
            if intro:
                if current != "legendary_actions":
                    raise fail(f"text without a name in {current}: {intro[0][:60]!r}")
                legendary_intro.extend(intro)
            chunk.clear()

    for line in body[i:]:
        if line.all_bold() and abs(line.size - 10.8) < 0.3 and line.text in _SECTION_HEADERS:
            flush()
            current = _SECTION_HEADERS[line.text]
        else:
            chunk.append(line)
    flush()
    if not sections["actions"] and not sections["traits"]:
        raise fail("no traits or actions")
    return Monster(
        name=entry.name,
        size=size,
        type=mtype,
        subtype=subtype,
        alignment=alignment,
        **fields,
        traits=sections["traits"],
        actions=sections["actions"],
        reactions=sections["reactions"],
        legendary_actions=sections["legendary_actions"],
        legendary_description="\n".join(legendary_intro) or None,
        description=lore,
        section=section,
        group=group,
        page=entry.page,
    )


def _items(lines: list[Line], fail: Callable[[str], SrdParseError], *, hanging: bool) -> tuple[list[NamedText], list[str]]:
    """Named entries (``Bite.`` + text) in ``lines``; text before the first name is returned apart."""
    items: list[tuple[str, list[list[str]]]] = []
    intro: list[list[str]] = []  # paragraphs of lines before the first name (legendary actions' preamble)
    prev: Line | None = None
    sub_option = False  # the paragraph is a bold sub-option (a dragon's "Fire Breath.") with a hanging indent
    for line in lines:
        name = _item_name(line)
        # traits and actions open with bold italic; a plain bold name inside one is a sub-option
        if name is not None and (hanging or line.first.italic or not items):
            items.append((name, [[line.text[len(name) + 1 :].strip()]]))
            sub_option = False
        elif not items:
            if not intro or (prev is not None and (line.indent > 5 or line.y0 - prev.y0 > 14 or line.y0 < prev.y0)):
                intro.append([])
            intro[-1].append(line.text)
        else:
            paras = items[-1][1]
            head = paras[-1][0] if paras[-1] else ""
            new_para = False
            if name is not None:
                new_para, sub_option = True, True
            elif _SPELL_LINE_RE.match(line.text) and line.indent <= 5:
                new_para = True
            elif line.indent > 5 and not hanging and not sub_option and not _SPELL_LIST_RE.match(head):
                new_para = True
            elif line.indent <= 5 and prev is not None and line.page == prev.page and line.column == prev.column:
                new_para = line.y0 - prev.y0 > prev.size * 1.45
                sub_option = sub_option and not new_para
            if new_para:
                paras.append([line.text])
            else:
                paras[-1].append(line.text)
        prev = line
    out = [NamedText(name=n, description="\n".join(join_lines(p) for p in paras if p)) for n, paras in items]
    return out, [join_lines(p) for p in intro if p]


def _item_name(line: Line) -> str | None:
    """The bold name at the start of a line (``Whelm (Recharge 4–6)``), or None if none opens it.

    The name runs to the first period outside parentheses; the bold run must cover most of it
    (a recharge range's digits are sometimes set in the regular font).
    """
    if not line.first.bold:
        return None
    bold = clean("".join(s.text for s in _leading_bold(line)))
    depth = 0
    for pos, ch in enumerate(line.text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "." and depth == 0 and (pos + 1 == len(line.text) or line.text[pos + 1] == " "):
            name = line.text[:pos]
            return name if len(bold) >= len(name) * 0.6 else None
    return None


def _leading_bold(line: Line) -> list:
    out = []
    for span in line.spans:
        if not span.bold:
            break
        out.append(span)
    return out

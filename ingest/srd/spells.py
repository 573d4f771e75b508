"""Spells: the Spell Descriptions chapter, with classes from the Spell Lists chapter.

An entry is a GillSans 12 pt name, an italic ``2nd-level evocation`` / ``Evocation cantrip``
line (``(ritual)`` appended), four bold labels (Casting Time, Range, Components, Duration),
the description and an optional ``At Higher Levels.`` paragraph.
"""

from __future__ import annotations

import re

from ingest.errors import SrdParseError
from ingest.srd.paragraphs import chapter_pages, paragraph_lines, paragraph_text
from ingest.srd.entries import Entry, lines_between, split_entries
from ingest.srd.layout import Line, SrdDocument
from ingest.srd.models import Spell
from ingest.srd.text import join_lines

__all__ = ["parse_spells", "parse_spell_lists", "SCHOOLS"]

SCHOOLS = ("abjuration", "conjuration", "divination", "enchantment", "evocation", "illusion", "necromancy",
           "transmutation")
_LEVEL_RE = re.compile(r"^(?:(\d)(?:st|nd|rd|th)-level (\w+)|(\w+) cantrip)( \(ritual\))?$", re.IGNORECASE)
_LABELS = ("Casting Time", "Range", "Components", "Duration")
_LABEL_RE = re.compile(r"^(Casting Time|Range|Components?|Duration):")  # "Contagion" prints "Component:"
_COMPONENTS_RE = re.compile(r"^([VSM](?: ?, [VSM])*)(?: \((.*)\))?$", re.DOTALL)
_LIST_LEVEL_RE = re.compile(r"^(?:Cantrips \(0 Level\)|(\d)(?:st|nd|rd|th) Level)$")


def _is_spell_name(line: Line) -> bool:
    return line.is_heading(12.0)


def parse_spells(doc: SrdDocument) -> list[Spell]:
    """Every spell of the Spell Descriptions chapter, in book order.

    Raises:
        SrdParseError: an entry lacks its level line, a label, or a class list names an unknown spell.
    """
    first, last = chapter_pages(doc, "Spell Descriptions")
    lines = lines_between(
        doc.lines(first, last),
        start=lambda l: l.is_heading(18.0) and l.text == "Spell Descriptions",
        stop=lambda l: l.size > 17 and l.is_heading(),
    )
    _, entries = split_entries(lines, _is_spell_name)
    if not entries:
        raise SrdParseError("Spell Descriptions", first, "no spells found")
    classes = parse_spell_lists(doc)
    spells = [_parse_spell(e, classes) for e in entries]
    known = {s.name.lower() for s in spells}
    unknown = sorted(n for n in classes if n not in known)
    if unknown:
        raise SrdParseError(unknown[0], None, "the spell lists name a spell with no description")
    return spells


def _parse_spell(entry: Entry, classes: dict[str, list[str]]) -> Spell:
    body = list(entry.body)

    def fail(reason: str) -> SrdParseError:
        return SrdParseError(entry.name, entry.page, reason)

    level_lines: list[str] = []
    while body and body[0].first.italic and not body[0].first.bold:
        level_lines.append(body.pop(0).text)
    m = _LEVEL_RE.match(join_lines(level_lines))
    if not m:
        raise fail(f"no level/school line (got {join_lines(level_lines)!r})")
    level = int(m.group(1)) if m.group(1) else 0
    school = (m.group(2) or m.group(3)).lower()
    if school not in SCHOOLS:
        raise fail(f"unknown school {school!r}")
    ritual = bool(m.group(4))

    fields: dict[str, list[str]] = {}
    current: str | None = None
    prev: Line | None = None
    while body:
        line = body[0]
        lm = _LABEL_RE.match(line.text) if line.first.bold else None
        if lm:
            current = "Components" if lm.group(1) == "Component" else lm.group(1)
            fields[current] = [line.text[lm.end() :]]
        elif current == "Duration" and prev is not None and (line.indent <= 5 or line.y0 - prev.y0 > 14):
            break  # the description starts after the Duration value
        elif current is None:
            raise fail(f"expected 'Casting Time:' but found {line.text!r}")
        else:
            fields[current].append(line.text)
        prev = body.pop(0)
    missing = [lab for lab in _LABELS if lab not in fields]
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    values = {lab: join_lines(v) for lab, v in fields.items()}
    cm = _COMPONENTS_RE.match(values["Components"])
    if not cm:
        raise fail(f"bad components {values['Components']!r}")
    components = [c.strip() for c in cm.group(1).split(",")]
    material = cm.group(2)
    if ("M" in components) != (material is not None):
        raise fail("material component and its description disagree")

    description: list[str] = []
    higher: list[str] = []
    for group in paragraph_lines(body):
        text = paragraph_text(group)
        if text.startswith("At Higher Levels.") and group[0].first.bold:
            higher.append(text[len("At Higher Levels.") :].strip())
        elif higher:
            higher.append(text)
        else:
            description.append(text)
    if not description:
        raise fail("no description")
    duration = values["Duration"]
    return Spell(
        name=entry.name,
        level=level,
        school=school,
        casting_time=values["Casting Time"],
        range=values["Range"],
        components=components,
        material=material,
        duration=duration,
        concentration=duration.startswith("Concentration"),
        ritual=ritual,
        description="\n".join(description),
        higher_levels="\n".join(higher) or None,
        classes=classes.get(entry.name.lower(), []),
        page=entry.page,
    )


def parse_spell_lists(doc: SrdDocument) -> dict[str, list[str]]:
    """``{spell name lower-cased: [class, ...]}`` from the Spell Lists chapter (classes lower-cased)."""
    first, last = chapter_pages(doc, "Spell Lists")
    lines = lines_between(
        doc.lines(first, last),
        start=lambda l: l.is_heading(18.0) and l.text == "Spell Lists",
        stop=lambda l: l.is_heading(18.0),
    )
    out: dict[str, list[str]] = {}
    cls: str | None = None
    level_seen = False
    for line in lines:
        if line.is_heading(13.92):
            if not line.text.endswith(" Spells"):
                raise SrdParseError(line.text, line.page, "expected a '<Class> Spells' heading")
            cls, level_seen = line.text[: -len(" Spells")].lower(), False
        elif line.is_heading(12.0):
            if not _LIST_LEVEL_RE.match(line.text):
                raise SrdParseError(line.text, line.page, "expected a spell level heading")
            level_seen = True
        elif cls and level_seen:
            out.setdefault(line.text.lower(), []).append(cls)
        else:
            raise SrdParseError(line.text, line.page, "spell list line outside a class and level")
    return out

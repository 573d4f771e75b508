"""The rules text, chunked by heading ("Grappling", "Cover", "Concentration") for lookup.

Every chapter except the entry lists parsed elsewhere (spell lists and descriptions, magic
items A-Z, monster stat blocks) and the legal page. A heading is a GillSans line; its font
size gives its depth (25.9 chapter, 18 section, 13.9, 12, 10.8 and 9.8 pt below), and a
section's text runs to the next heading of any depth.
"""

from __future__ import annotations

from ingest.srd.paragraphs import chapter_pages, paragraphs
from ingest.srd.layout import Line, SrdDocument
from ingest.srd.models import RulesSection
from ingest.srd.text import join_lines

__all__ = ["parse_rules_sections", "RULES_CHAPTERS"]

RULES_CHAPTERS = (
    "Races",
    "Classes",
    "Beyond 1st Level",
    "Equipment",
    "Feats",
    "Using Ability Scores",
    "Spellcasting",
    "Adventuring",
    "Magic Items",
    "Monsters",
    "Appendix PH-A: Conditions",
    "Appendix PH-B: Fantasy-Historical Pantheons",
    "Appendix PH-C: The Planes of Existence",
)
# headings where a parsed entry list begins (skipped until a heading in _RESUME)
_SKIP = {"Spell Lists", "Magic Items A-Z", "Monsters (A)"}
_RESUME = {"Sentient Magic Items"}
_DEPTHS = (25.0, 17.0, 13.5, 11.5, 10.5, 9.5)


def _depth(line: Line) -> int | None:
    if not line.is_heading():
        return None
    size = line.first.size
    for depth, floor in enumerate(_DEPTHS):
        if size >= floor:
            return depth
    return None


def parse_rules_sections(doc: SrdDocument) -> list[RulesSection]:
    """One section per heading that has text under it, in book order."""
    out: list[RulesSection] = []
    openings = {chapter: _opening(doc, chapter) for chapter in RULES_CHAPTERS}
    top_level = [name for lvl, name, _p in doc.toc if lvl == 1]
    for chapter in RULES_CHAPTERS:
        first, last = chapter_pages(doc, chapter, level=1)
        following = top_level[top_level.index(chapter) + 1] if chapter in top_level[:-1] else None
        stop = openings.get(following) if following else None
        if following and stop is None:
            stop = _opening(doc, following)
        out.extend(_chapter_sections(doc.lines(first, last), chapter, openings[chapter], stop))
    return out


def _opening(doc: SrdDocument, chapter: str) -> str | None:
    """The text of the heading that opens ``chapter``: its title, or its first section's heading."""
    try:
        first, _last = chapter_pages(doc, chapter, level=1)
    except KeyError:
        return None
    heads = [l for l in doc.page_lines(first) if _depth(l) is not None]
    for line in heads:
        if _depth(line) == 0 and chapter.startswith(line.text.rstrip(":")):
            return line.text
    toc = doc.toc
    i = next(k for k, (lvl, name, _p) in enumerate(toc) if name == chapter and lvl == 1)
    child = toc[i + 1][1] if i + 1 < len(toc) and toc[i + 1][0] == 2 else None
    return child if child and any(l.text == child for l in heads) else (heads[0].text if heads else None)


def _chapter_sections(lines: list[Line], chapter: str, opening: str | None, stop: str | None) -> list[RulesSection]:
    start = next((i for i, l in enumerate(lines) if _depth(l) is not None and l.text == opening), None)
    if start is None:
        return []
    out: list[RulesSection] = []
    path: list[tuple[int, str]] = [(0, chapter)]
    heading: list[Line] = []
    body: list[Line] = []
    skipping = False

    def flush() -> None:
        if heading and body and not skipping:
            text = "\n".join(paragraphs(body))
            if text:
                names = [p for _d, p in path]
                out.append(
                    RulesSection(name=names[-1], path=names, level=len(names), text=text, page=heading[0].page)
                )

    for k, line in enumerate(lines[start:]):
        depth = _depth(line)
        if depth is None:
            body.append(line)
            continue
        if k and stop is not None and line.text == stop and depth <= 1:
            break  # the next chapter begins
        if heading and not body and heading_continues(heading, line) and _depth(heading[0]) == depth:
            heading.append(line)  # a wrapped heading
            if len(path) > 1:
                path[-1] = (path[-1][0], join_lines([l.text for l in heading]))
            continue
        flush()
        if line.text in _SKIP:
            skipping = True
        elif line.text in _RESUME:
            skipping = False
        if k == 0 and depth == 0 and chapter.startswith(line.text.rstrip(":")):
            heading, body = [line], []  # the chapter's own title: its intro is the chapter section
            continue
        depth += 1  # below the chapter root, which is depth 0
        while len(path) > 1 and path[-1][0] >= depth:
            path.pop()
        path.append((depth, line.text))
        heading, body = [line], []
    flush()
    return out


def heading_continues(heading: list[Line], line: Line) -> bool:
    if not heading:
        return False
    prev = heading[-1]
    return prev.page == line.page and prev.column == line.column and 0 < line.y0 - prev.y0 < prev.size * 1.4

"""Turn a run of :class:`~ingest.srd.layout.Line` into paragraphs, and find chapters by bookmark.

Paragraph rules (what the SRD's typesetting means):

* a first-line indent (≈9 pt) starts a paragraph in body text, a hanging indent continues one;
* a larger vertical step than the line spacing starts one (a break between blocks);
* a line that opens with a bold run (``Armor Class: 20``, ``Multiattack.``) or a bullet starts one;
* table rows (the 8.9 pt table font) are one paragraph each, a row's wrapped cell continues it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.srd.layout import Line, SrdDocument
from ingest.srd.text import clean, join_lines

__all__ = ["paragraphs", "paragraph_lines", "paragraph_text", "chapter_pages", "TABLE_SIZE"]

TABLE_SIZE = 9.5  # table cells are set in 8.9 pt, body text in 9.84 pt
_CELL_GAP = 4.0  # pt between spans of one cell (a word space); cells stand 8 pt or more apart


def _is_table(line: Line) -> bool:
    # table cells are separate spans; a 8.9 pt line of one span at the margin is sidebar prose
    return line.size < TABLE_SIZE and (len(line.spans) >= 2 or line.indent > 15)


def paragraph_lines(lines: Sequence[Line], *, hanging: bool = False) -> list[list[Line]]:
    """Group lines into paragraphs (see the module docstring); ``hanging`` for hanging indents."""
    groups: list[list[Line]] = []
    prev: Line | None = None
    for line in lines:
        if prev is None or _starts_paragraph(line, prev, groups[-1][0], hanging):
            groups.append([line])
        else:
            groups[-1].append(line)
        prev = line
    return groups


def _starts_paragraph(line: Line, prev: Line, head: Line, hanging: bool) -> bool:
    same_column = line.page == prev.page and line.column == prev.column
    step = line.y0 - prev.y0 if same_column else 0.0
    table, prev_table = _is_table(line), _is_table(prev)
    row_step = 0 < step <= prev.size * 1.45
    if prev_table and not table and row_step and _wrapped_first_cell(line, head):
        return False  # "Permanent" / "circle": the first cell of a row wraps onto a line of its own
    if table or prev_table:
        if table and prev_table and row_step and head.indent > 15 and head.all_bold() and line.all_bold():
            return False  # a header whose upper words sit above their cells ("Similar" over "Area")
        # a wrapped cell sits well right of where its row starts
        return table != prev_table or line.indent < head.indent + 15
    if line.text.startswith("\u2022"):
        return True
    if line.first.bold and not prev.all_bold() and not _inline_bold(line):
        return True
    if line.indent > 5 and _label_hangs(line, prev, head, step):
        return False  # "Speed: 30 ft., swim 30 ft. (or 0 ft. ..." wraps under its label
    if line.indent > 5:
        # a bullet's wrapped lines hang under it, unless a paragraph gap ends the list (Robe of
        # Eyes: "The eyes on the robe ..." after the last bullet); elsewhere an indent opens one
        if head.text.startswith("\u2022") and step > prev.size * 1.45:
            return True
        return not (hanging or head.text.startswith("\u2022"))
    return step > prev.size * 1.45 or step < 0


def _wrapped_first_cell(line: Line, head: Line) -> bool:
    """A lone lower-case table-font word under its row's first cell (Teleport: "Permanent / circle")."""
    return (
        line.size < TABLE_SIZE
        and len([s for s in line.spans if not s.blank]) == 1
        and abs(line.indent - head.indent) < 3
        and not line.first.bold
        and not line.first.italic
        and line.text[:1].islower()
    )


def _inline_bold(line: Line) -> bool:
    """A line opening with a bold word inside a sentence ("bandit captain has these ..."), no heading."""
    return line.first.text.lstrip()[:1].islower()


def _label_hangs(line: Line, prev: Line, head: Line, step: float) -> bool:
    """A wrapped line under a ``Label value`` line (a stat-block field: ``Condition Immunities ...``).

    The label is bold without a closing period (``Multiattack.`` opens a run-in paragraph
    instead), sits at the margin, and every line after it so far is indented: a lore paragraph
    that opens with a bold name ("**Priests** bring ...") wraps at the margin, so an indented
    line after it is a new paragraph.
    """
    label = head.first.text.strip()
    return (
        head.first.bold
        and not head.all_bold()
        and head.indent < 2
        and not label.endswith(".")
        and (prev is head or prev.indent > 5)  # every line after the label hangs
        and line.page == prev.page
        and line.column == prev.column
        and 0 < step <= prev.size * 1.45
    )


def paragraphs(lines: Sequence[Line], *, hanging: bool = False) -> list[str]:
    """Paragraph texts of ``lines`` (wrapped lines joined with single spaces; table rows cell by cell)."""
    return [paragraph_text(group) for group in paragraph_lines(lines, hanging=hanging)]


def paragraph_text(group: Sequence[Line]) -> str:
    """The text of one paragraph from :func:`paragraph_lines`."""
    if len(group) > 1 and _is_table(group[0]):
        return _table_row(group)
    return join_lines([l.text for l in group])


def _table_row(group: Sequence[Line]) -> str:
    """A table row whose cells wrap: join each cell's lines first, then the cells left to right.

    Cells are told apart by where the row's fullest line starts them (measured from the column's
    margin, as a row can continue in the next column); every span goes to the cell starting
    nearest to the left of its middle.
    """

    def rel(line: Line, x: float) -> float:
        return x - (line.x0 - line.indent)

    starts = max((_cell_starts(line, rel) for line in group), key=len)
    cells: dict[int, list[str]] = {x: [] for x in starts}
    for line in group:
        parts: dict[int, str] = {}
        last: dict[int, float] = {}
        for span in line.spans:
            if span.blank:
                continue
            # by the span's middle: a centred header word ("Similar") may start left of its cell
            middle = rel(line, (span.x0 + span.x1) / 2)
            home = max((x for x in starts if x <= middle + 3), default=starts[0])
            text = parts.get(home, "")
            if text and span.x0 - last[home] > 1.0 and not text.endswith(" ") and not span.text.startswith(" "):
                text += " "  # a word space between two spans ("Cure" "wounds"), none before "'s" or ","
            parts[home], last[home] = text + span.text, span.x1
        for home, text in parts.items():
            cells[home].append(clean(text))
    return " ".join(join_lines(cells[x]) for x in starts if cells[x])


def _cell_starts(line: Line, rel) -> list[int]:  # noqa: ANN001 - the caller's margin-relative x
    """Where ``line``'s cells start; an italic word inside a cell is its own span, a word-space on."""
    starts: list[int] = []
    end = None
    for span in sorted((s for s in line.spans if not s.blank), key=lambda s: s.x0):
        if end is None or span.x0 - end > _CELL_GAP:
            starts.append(round(rel(line, span.x0)))
        end = span.x1
    return starts


def chapter_pages(doc: SrdDocument, title: str, level: int | None = None) -> tuple[int, int]:
    """First and last page of the bookmarked section ``title`` (up to the next same-or-higher level).

    Raises:
        KeyError: the PDF has no such bookmark.
    """
    toc = doc.toc
    for i, (lvl, name, page) in enumerate(toc):
        if name == title and (level is None or lvl == level):
            for lvl2, _name2, page2 in toc[i + 1 :]:
                if lvl2 <= lvl and page2 >= page:
                    return page, max(page, page2)
            return page, doc.page_count
    raise KeyError(title)

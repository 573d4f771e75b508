"""The SRD PDF as a stream of styled lines in reading order.

pymupdf's ``page.get_text("dict")`` gives spans with font, size and position. This module
drops the running footer (``System Reference Document 5.1`` and the page number), splits
each page into its two columns, groups spans into lines (left column top to bottom, then
the right one) and keeps each span's style, which the entry parsers use to find headings,
stat-block labels and trait names. Text is normalised with :func:`ingest.srd.text.clean`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from ingest.errors import UnreadablePdf
from ingest.srd.text import clean, squash

__all__ = ["Span", "Line", "Geometry", "SrdDocument", "open_srd"]

_FOOTER_MARGIN = 72.0  # the running footer sits about 43 pt above the bottom edge; body text ends ~100 pt above
_SAME_LINE = 3.0
# text only: skipping the images makes extraction about twice as fast
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_MEDIABOX_CLIP  # spans whose tops differ by less than this share a line


@dataclass(frozen=True, slots=True)
class Span:
    """One run of text in one font; ``text`` is whitespace-squashed but not stripped."""

    text: str
    font: str
    size: float
    x0: float
    x1: float

    @property
    def bold(self) -> bool:
        return "Bold" in self.font or "SemiBold" in self.font

    @property
    def italic(self) -> bool:
        return "Italic" in self.font or "Ita" in self.font

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where the columns and the footer are, measured from the PDF (US Letter: 306, 720, 57.6/328.6)."""

    split: float  # x of the gutter between the two columns
    footer_top: float  # spans starting below this y are the running footer
    margins: tuple[float, float]  # x where each column's text starts

    @property
    def gutter_shift(self) -> float:
        """How far the right column sits from the left one."""
        return self.margins[1] - self.margins[0]

    def column(self, x0: float) -> int:
        return 0 if x0 < self.split else 1


@dataclass(frozen=True, slots=True)
class Line:
    """A line of one column of one page (1-based ``page``, ``column`` 0 or 1)."""

    page: int
    column: int
    x0: float
    y0: float
    y1: float
    spans: tuple[Span, ...]
    text: str
    margin: float  # the column's left edge

    @property
    def indent(self) -> float:
        """How far the first glyph sits right of the column's left margin."""
        return self.x0 - self.margin

    @property
    def first(self) -> Span:
        return self.spans[0]

    @property
    def size(self) -> float:
        return max(s.size for s in self.spans)

    def is_heading(self, size: float | None = None) -> bool:
        """A GillSans heading line (chapter, section, entry name in spells/items)."""
        ok = all(s.font.startswith("GillSans") for s in self.spans)
        return ok and (size is None or abs(self.first.size - size) < 0.3)

    def all_bold(self) -> bool:
        return all(s.bold for s in self.spans)


class SrdDocument:
    """An opened SRD PDF: bookmarks plus lazily extracted lines for page ranges."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._doc = pymupdf.open(path)
        except Exception as exc:  # pymupdf raises several types for a bad file
            raise UnreadablePdf(str(path), f"not a readable PDF ({exc})") from exc
        if self._doc.needs_pass:
            raise UnreadablePdf(str(path), "the PDF is encrypted")
        self.page_count = self._doc.page_count
        self.toc: list[tuple[int, str, int]] = [(lvl, clean(title), page) for lvl, title, page, *_ in self._doc.get_toc()]
        self._lines: dict[int, list[Line]] = {}
        self._plain: dict[int, str] = {}
        self.geometry = _measure(self._doc)

    def close(self) -> None:
        self._doc.close()

    def page_lines(self, page: int) -> list[Line]:
        """Lines of a 1-based page in reading order (left column, then right)."""
        if page not in self._lines:
            self._lines[page], self._plain[page] = _extract_page(self._doc[page - 1], page, self.geometry)
        return self._lines[page]

    def plain_text(self, page: int) -> str:
        """The page's text in pymupdf's own line order (what ``page.get_text()`` gives), uncleaned.

        It comes from the same extraction as :meth:`page_lines` but not through this module's
        column and line grouping, so counts taken from it check the parsers independently.
        """
        self.page_lines(page)
        return self._plain[page]

    def lines(self, first: int, last: int) -> list[Line]:
        """Lines of pages ``first..last`` inclusive, in reading order."""
        out: list[Line] = []
        for page in range(first, last + 1):
            out.extend(self.page_lines(page))
        return out

    def extract_all(self) -> None:
        """Extract every page now (for timing the extraction step separately)."""
        for page in range(1, self.page_count + 1):
            self.page_lines(page)

    def raw_spans(self, page: int) -> list[tuple[float, float, float, float, Span]]:
        """``(x0, y0, x1, y1, span)`` for every non-footer span of a page (for tables)."""
        out = []
        for block in self._doc[page - 1].get_text("dict", flags=_TEXT_FLAGS)["blocks"]:
            for line in block.get("lines", []):
                for s in line["spans"]:
                    x0, y0, x1, y1 = s["bbox"]
                    if y0 >= self.geometry.footer_top:
                        continue
                    out.append((x0, y0, x1, y1, Span(squash(s["text"]), s["font"], round(s["size"], 2), x0, x1)))
        return out


def open_srd(path: str | Path) -> SrdDocument:
    """Open an SRD PDF; raise :class:`UnreadablePdf` if the file is missing or unreadable."""
    p = Path(path)
    if not p.is_file():
        raise UnreadablePdf(str(p), "no such file")
    return SrdDocument(p)


def _measure(doc: pymupdf.Document) -> Geometry:
    """Column margins from a sample of pages: the commonest span start in each half of the page."""
    if doc.page_count == 0:
        raise UnreadablePdf(doc.name or "the PDF", "it has no pages")
    rect = doc[0].rect
    split, footer_top = rect.width / 2, rect.height - _FOOTER_MARGIN
    starts: tuple[Counter[float], Counter[float]] = (Counter(), Counter())
    sample = range(doc.page_count // 4, doc.page_count, max(1, doc.page_count // 16))
    for number in sample:
        for block in doc[number].get_text("dict", flags=_TEXT_FLAGS)["blocks"]:
            for line in block.get("lines", []):
                for s in line["spans"]:
                    x0, y0 = s["bbox"][0], s["bbox"][1]
                    if y0 < footer_top and s["text"].strip():
                        starts[0 if x0 < split else 1][round(x0, 1)] += 1
    default = (rect.width * 57.6 / 612, rect.width * 328.6 / 612)
    margins = tuple(c.most_common(1)[0][0] if c else d for c, d in zip(starts, default, strict=True))
    return Geometry(split, footer_top, (margins[0], margins[1]))


def _extract_page(page: pymupdf.Page, number: int, geometry: Geometry) -> tuple[list[Line], str]:
    columns: tuple[list, list] = ([], [])
    plain: list[str] = []
    for block in page.get_text("dict", flags=_TEXT_FLAGS)["blocks"]:
        for line in block.get("lines", []):
            plain.append("".join(s["text"] for s in line["spans"]))
            for s in line["spans"]:
                x0, y0, x1, y1 = s["bbox"]
                if y0 >= geometry.footer_top:
                    continue
                text = squash(s["text"])
                if not text:
                    continue
                col = geometry.column(x0)
                columns[col].append((y0, x0, y1, Span(text, s["font"], round(s["size"], 2), x0, x1)))
    out: list[Line] = []
    for col, spans in enumerate(columns):
        spans.sort(key=lambda t: (round(t[0], 1), t[1]))
        group: list = []
        for item in spans:
            if group and item[0] - group[0][0] >= _SAME_LINE:
                out.extend(_make_line(number, col, group, geometry.margins[col]))
                group = []
            group.append(item)
        if group:
            out.extend(_make_line(number, col, group, geometry.margins[col]))
    return out, "\n".join(plain)


def _make_line(page: int, column: int, group: list, margin: float) -> list[Line]:
    group.sort(key=lambda t: t[1])
    spans = [t[3] for t in group]
    parts: list[str] = []
    for i, s in enumerate(spans):
        # table cells are separate spans with no whitespace between them: keep them apart
        if i and s.x0 - spans[i - 1].x1 > 0.5 and not (s.text[:1].isspace() or parts[-1][-1:].isspace()):
            parts.append(" ")
        parts.append(s.text)
    text = clean("".join(parts))
    if not text:
        return []
    visible = tuple(s for s in spans if not s.blank)
    y0, y1 = min(t[0] for t in group), max(t[2] for t in group)
    return [Line(page, column, visible[0].x0, y0, y1, visible, text, margin)]

"""Read a titled table of the SRD (equipment lists) from the raw spans.

A table is a 12 pt Calibri-Bold title, one or two rows of bold 8.9 pt headers, then rows of
8.9 pt cells; italic one-cell rows name a sub-category for the indented rows below them. A
table set in one column flows down that column and on to the next; a wide table (its header
crosses the column gutter) runs across the page and continues at the top of the next page.
Cells go to the header they overlap most (costs are right-aligned, names left-aligned).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.errors import SrdParseError
from ingest.srd.layout import Geometry, Span, SrdDocument
from ingest.srd.text import clean

__all__ = ["TableRow", "read_table"]

_TABLE_MAX_SIZE = 9.5
_ROW_TOLERANCE = 3.0
_MAX_HOPS = 6  # columns a table may continue into


@dataclass(frozen=True, slots=True)
class TableRow:
    cells: dict[str, str]  # header -> text; missing cells are absent
    subcategory: str | None
    page: int


def _is_cell(span: Span) -> bool:
    return span.font.startswith("Calibri") and span.size < _TABLE_MAX_SIZE


def read_table(doc: SrdDocument, title: str, first_page: int, last_page: int) -> list[TableRow]:
    """The rows of the table titled ``title`` found between the two pages.

    Raises:
        SrdParseError: no such title, or a row has a cell that fits no header.
    """
    start = _find_title(doc, title, first_page, last_page)
    page, y_title, column = start
    rows = _collect_rows(doc, page, y_title, column)
    header_rows: list[list[Span]] = []
    while rows and all(s.bold for s in rows[0][1]):
        header_rows.append(rows.pop(0)[1])
    if not header_rows:
        raise SrdParseError(title, page, "table has no header row")
    headers = _headers(header_rows)
    out: list[TableRow] = []
    sub: tuple[str, float] | None = None
    for row_page, spans in rows:
        if len(spans) == 1 and spans[0].italic:
            sub = (clean(spans[0].text), spans[0].x0)
            continue
        cells: dict[str, str] = {}
        for span in spans:
            name = _column_of(span, headers)
            if name is None:
                raise SrdParseError(title, row_page, f"cell {clean(span.text)!r} fits no column")
            cells[name] = clean(f"{cells.get(name, '')} {span.text}")
        first_header = headers[0][0]
        if first_header not in cells and out:
            # a wrapped cell: the continuation of the previous row
            merged = dict(out[-1].cells)
            for k, v in cells.items():
                merged[k] = clean(f"{merged.get(k, '')} {v}")
            out[-1] = TableRow(merged, out[-1].subcategory, out[-1].page)
            continue
        if sub is not None and spans[0].x0 <= sub[1] + 4:
            sub = None  # back at the margin: the sub-category has ended
        out.append(TableRow(cells, sub[0] if sub else None, row_page))
    return out


def _find_title(doc: SrdDocument, title: str, first: int, last: int) -> tuple[int, float, int]:
    for page in range(first, last + 1):
        for line in doc.page_lines(page):
            if line.text == title and line.first.font.startswith("Calibri-Bold") and abs(line.size - 12) < 0.3:
                return page, line.y0, line.column
    raise SrdParseError(title, first, "table title not found")


def _collect_rows(doc: SrdDocument, page: int, y_title: float, column: int) -> list[tuple[int, list[Span]]]:
    geo: Geometry = doc.geometry

    def _col(span: Span) -> int:
        return geo.column(span.x0)

    spans = [(y0, s) for x0, y0, _x1, _y1, s in doc.raw_spans(page) if y0 > y_title + 2 and not s.blank]
    first_rows = _rows([(y, s) for y, s in spans if _col(s) == column])
    header = first_rows[0][1] if first_rows else []
    wide = bool(first_rows) and (
        any(s.x0 < geo.split < s.x1 for s in header)
        or any(abs(y - first_rows[0][0]) < _ROW_TOLERANCE and _col(s) != column and s.bold for y, s in spans)
    )
    out: list[tuple[int, list[Span]]] = []
    region = spans if wide else [(y, s) for y, s in spans if _col(s) == column]
    done = _take(region, out, page)
    hops = 0
    # continue in the next column / on the next page until the table ends
    cur_page, cur_col = page, column
    while not done:
        if wide:
            cur_page += 1
            region = [(y0, s) for _x0, y0, _x1, _y1, s in doc.raw_spans(cur_page) if not s.blank]
        else:
            cur_col, cur_page = (1, cur_page) if cur_col == 0 else (0, cur_page + 1)
            shift = (column - cur_col) * geo.gutter_shift  # line the cells up under the first column's headers
            region = [
                (y0, replace(s, x0=s.x0 + shift, x1=s.x1 + shift))
                for _x0, y0, _x1, _y1, s in doc.raw_spans(cur_page)
                if not s.blank and _col(s) == cur_col
            ]
        done = _take(region, out, cur_page)
        hops += 1
        if hops > _MAX_HOPS:
            raise SrdParseError("table", cur_page, "a table runs on for more than three pages")
    return out


def _take(region: list[tuple[float, Span]], out: list[tuple[int, list[Span]]], page: int) -> bool:
    """Append the table rows of ``region`` up to the first non-table span; True if one ended it."""
    rows = _rows(region)
    for y, spans in rows:
        if not all(_is_cell(s) for s in spans):
            return True
        out.append((page, spans))
    return False


def _rows(items: list[tuple[float, Span]]) -> list[tuple[float, list[Span]]]:
    items = sorted(items, key=lambda t: (t[0], t[1].x0))
    rows: list[tuple[float, list[Span]]] = []
    for y, span in items:
        if rows and y - rows[-1][0] < _ROW_TOLERANCE:
            rows[-1][1].append(span)
        else:
            rows.append((y, [span]))
    return [(y, sorted(spans, key=lambda s: s.x0)) for y, spans in rows]


def _headers(header_rows: list[list[Span]]) -> list[tuple[str, float, float]]:
    """``(name, x0, x1)`` per column from the last header row; an upper row's words prefix theirs."""
    last = header_rows[-1]
    heads = [[clean(s.text), s.x0, s.x1] for s in last]
    for row in header_rows[:-1]:
        for s in row:
            best = max(heads, key=lambda h: min(h[2], s.x1) - max(h[1], s.x0))
            best[0] = f"{clean(s.text)} {best[0]}"
    return [(str(n), float(a), float(b)) for n, a, b in heads]


def _column_of(span: Span, headers: list[tuple[str, float, float]]) -> str | None:
    best, best_overlap = None, 0.0
    for name, x0, x1 in headers:
        overlap = min(x1, span.x1) - max(x0, span.x0)
        if overlap > best_overlap:
            best, best_overlap = name, overlap
    if best is not None:
        return best
    # no overlap (a short cell under a wide gap): the header starting nearest to its left
    left = [h for h in headers if h[1] <= span.x0 + 12]
    return left[-1][0] if left else None

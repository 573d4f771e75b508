"""Layout-aware reading of adventure PDFs into clean, typed blocks.

A published module is not a stream of text: it has running headers and footers, two or
three columns, read-aloud boxes, stat blocks, tables and a heading hierarchy carried only by
font size and weight. `read_pdf` turns one PDF into a flat, reading-ordered sequence of
`Block`s (headings with a level, paragraphs, read-aloud text, stat blocks, tables), each with
its 1-based page number. Nothing here knows about any particular adventure:

* running headers/footers: lines in the top/bottom margin band that sit at a vertical slot
  shared by many pages whose text repeats (digits normalised), plus bare page numbers;
* columns: vertical gutters no body line crosses; full-width lines split the page into bands;
* headings: all-bold or clearly larger lines, levels ranked by font size; a heading whose
  section starts with "Armor Class" is a stat-block title (always a leaf);
* boxes: filled rectangles behind text; a heading opened inside a box closes with the box;
* tables: runs of rows whose cells start at the same x positions;
* text: ligatures expanded, hyphenated line breaks joined (keeping real compounds that the
  document spells with a hyphen elsewhere).

Raises `ingest.errors.UnreadablePdf` for a missing, empty, encrypted or corrupt file, or one
without a text layer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from ingest.campaign.blocks import Block, build_blocks
from ingest.errors import UnreadablePdf

__all__ = ["Block", "ParsedDocument", "read_pdf", "clean_text"]

log = logging.getLogger(__name__)

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
              "\ufb05": "st", "\ufb06": "st", "\u00ad": "", "\u2019": "'", "\u2018": "'",
              "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " "}
_LIG_RE = re.compile("|".join(map(re.escape, _LIGATURES)))
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,6})\s*$", re.IGNORECASE)
_MARGIN = 0.09          # fraction of page height treated as header/footer band


def clean_text(text: str) -> str:
    """Expand ligatures, straighten quotes, drop soft hyphens, collapse runs of spaces."""
    return re.sub(r"[ \t]+", " ", _LIG_RE.sub(lambda m: _LIGATURES[m.group(0)], text))


@dataclass(frozen=True)
class ParsedDocument:
    path: str
    title: str
    page_count: int
    blocks: tuple[Block, ...]


# ---------------------------------------------------------------- internal line model

@dataclass
class _Seg:
    x0: float
    x1: float
    text: str
    size: float
    bold: bool
    italic: bool
    font: str = ""          # font family (subset prefix and style suffix dropped)
    color: int = 0


@dataclass
class _Line:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    segs: list[_Seg]
    box: int = -1
    kind: str = ""            # set by grouping passes
    heading_level: int = 0

    @property
    def text(self) -> str:
        out = ""
        for i, seg in enumerate(self.segs):
            if i and not out.endswith(" ") and not seg.text.startswith(" ") and \
                    seg.x0 - self.segs[i - 1].x1 > 0.15 * seg.size:
                out += " "
            out += seg.text
        return " ".join(out.split())

    @property
    def size(self) -> float:
        total = sum(len(s.text) for s in self.segs) or 1
        return sum(s.size * len(s.text) for s in self.segs) / total

    def frac(self, attr: str) -> float:
        chars = [(len(s.text.strip()), getattr(s, attr)) for s in self.segs]
        total = sum(n for n, _ in chars) or 1
        return sum(n for n, flag in chars if flag) / total

    @property
    def lead(self) -> str:
        """Run-in bold label at the start of a mixed line ("Secret." → "Secret")."""
        segs = [s for s in self.segs if s.text.strip().strip("•·▪■●◦‣-–")]
        if not segs or not segs[0].bold or self.frac("bold") > 0.9:
            return ""
        text, prev = "", None
        for seg in segs:
            if not seg.bold:
                break
            # words set apart by position only (justified text has no space characters) keep a space
            gap = prev is not None and not text.endswith(" ") and not seg.text.startswith(" ") and \
                seg.x0 - prev.x1 > 0.15 * seg.size
            text += (" " if gap else "") + seg.text
            prev = seg
        text = " ".join(text.split()).lstrip("•·-– ").strip()
        return text.rstrip(".:") if text.endswith((".", ":")) and len(text) <= 60 else ""


def _family(font: str) -> str:
    """'ABCDEF+Charis-BoldItalic' → 'charis'."""
    name = font.split("+", 1)[-1].lower()
    return re.split(r"[-,_ ]", name, maxsplit=1)[0] or name


def _is_bold(font: str, flags: int) -> bool:
    name = font.lower()
    return bool(flags & 16) or any(w in name for w in ("bold", "black", "heavy", "semibold", "demi"))


def _is_italic(font: str, flags: int) -> bool:
    name = font.lower()
    return bool(flags & 2) or "italic" in name or "oblique" in name


def _page_lines(page: pymupdf.Page, number: int) -> list[_Line]:
    flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_LIGATURES & ~pymupdf.TEXT_PRESERVE_IMAGES
    lines: list[_Line] = []
    for block in page.get_text("dict", flags=flags)["blocks"]:
        for raw in block.get("lines", ()):
            if raw.get("dir", (1, 0))[0] < 0.9:      # rotated or vertical text: margins, stamps
                continue
            segs = [_Seg(s["bbox"][0], s["bbox"][2], clean_text(s["text"]), round(s["size"], 1),
                         _is_bold(s["font"], s["flags"]), _is_italic(s["font"], s["flags"]),
                         _family(s["font"]), int(s.get("color", 0)))
                    for s in raw["spans"] if s["text"].strip()]
            if not segs:
                continue
            # pymupdf may put far-apart cells on one line: split at wide gaps
            group = [segs[0]]
            for seg in segs[1:]:
                if seg.x0 - group[-1].x1 > 2.5 * seg.size:
                    lines.append(_make_line(number, raw["bbox"], group))
                    group = []
                group.append(seg)
            lines.append(_make_line(number, raw["bbox"], group))
    return _attach_drop_caps(lines)


def _attach_drop_caps(lines: list[_Line]) -> list[_Line]:
    """A drop cap (one big initial beside the first lines of a paragraph) goes back into its word:
    "H" + "arrowdale is a village" → "Harrowdale is a village"."""
    if not lines:
        return lines
    sizes = sorted(line.size for line in lines)
    body = sizes[len(sizes) // 2]
    out = list(lines)
    for cap in lines:
        text = cap.text
        if len(text) != 1 or not text.isalpha() or not text.isupper() or cap.size < 2 * body:
            continue
        # the first line to its right, starting within the initial's height
        beside = [ln for ln in out if ln is not cap and ln.size < 1.5 * body and 0 <= ln.x0 - cap.x1 < 3 * body
                  and cap.y0 - 0.5 * body <= ln.y0 <= cap.y1 and ln.segs and ln.segs[0].text[:1].islower()]
        if not beside:
            continue
        first = min(beside, key=lambda ln: ln.y0)
        first.segs[0].text = text + first.segs[0].text
        out.remove(cap)
    return out


def _make_line(page: int, bbox: tuple, segs: list[_Seg]) -> _Line:
    return _Line(page, min(s.x0 for s in segs), bbox[1], max(s.x1 for s in segs), bbox[3], list(segs))


def _boxes(page: pymupdf.Page) -> list[pymupdf.Rect]:
    """Filled, non-white rectangles big enough to hold text (read-aloud boxes, sidebars)."""
    out = []
    try:
        drawings = page.get_drawings()
    except Exception:  # noqa: BLE001 - a broken vector path must not cost us the text
        log.debug("could not read drawings on page %s", page.number + 1, exc_info=True)
        return out
    for d in drawings:
        fill = d.get("fill")
        rect = d.get("rect")
        if not fill or rect is None or rect.height < 20 or rect.width < 60:
            continue
        if min(fill) > 0.985:                        # white
            continue
        out.append(pymupdf.Rect(rect))
    return out


# ---------------------------------------------------------------- running headers/footers

def _norm_running(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _drop_running(pages: list[list[_Line]], heights: list[float]) -> list[list[_Line]]:
    n = len(pages)
    slots: dict[tuple[str, int], set[int]] = defaultdict(set)
    slot_texts: dict[tuple[str, int], Counter] = defaultdict(Counter)

    def slot(line: _Line, h: float) -> tuple[str, int] | None:
        if line.y1 <= h * _MARGIN:
            return ("top", round(line.y0 / 4))
        if line.y0 >= h * (1 - _MARGIN):
            return ("bottom", round(line.y0 / 4))
        return None

    for i, lines in enumerate(pages):
        for line in lines:
            s = slot(line, heights[i])
            if s:
                slots[s].add(i)
                slot_texts[s][_norm_running(line.text)] += 1
    # a running slot: used on many pages, and mostly by text that repeats (the title, the chapter name,
    # "Page #"); a slot where each page's first body line lands holds text that never repeats
    running = set()
    for s, on in slots.items():
        texts = slot_texts[s]
        repeated = sum(c for c in texts.values() if c >= 2)
        if n >= 2 and len(on) >= max(2, 0.3 * n) and repeated >= 0.5 * sum(texts.values()):
            running.add(s)
    kept = []
    for i, lines in enumerate(pages):
        keep = []
        for line in lines:
            s = slot(line, heights[i])
            if s and (s in running or any((s[0], s[1] + d) in running for d in (-1, 1))
                      or _PAGE_NUMBER.match(line.text)):
                continue
            keep.append(line)
        kept.append(keep)
    return kept


# ---------------------------------------------------------------- reading order

def _rows(lines: list[_Line]) -> list[_Line]:
    """Top-to-bottom; lines sharing a baseline (table cells, split spans) left-to-right."""
    out: list[_Line] = []
    row: list[_Line] = []
    for line in sorted(lines, key=lambda ln: ln.y0):
        if row and abs((line.y0 + line.y1) / 2 - (row[0].y0 + row[0].y1) / 2) > 0.4 * (row[0].y1 - row[0].y0):
            out.extend(sorted(row, key=lambda ln: ln.x0))
            row = []
        row.append(line)
    out.extend(sorted(row, key=lambda ln: ln.x0))
    return out


def _reading_order(lines: list[_Line], width: float) -> list[_Line]:
    if not lines:
        return []
    cx0 = min(line.x0 for line in lines)
    cx1 = max(line.x1 for line in lines)
    content = max(cx1 - cx0, 1.0)
    wide = [line for line in lines if (line.x1 - line.x0) > 0.45 * width]
    narrow = [line for line in lines if (line.x1 - line.x0) <= 0.45 * width]
    # display lines (a chapter title centred over both columns, a drop cap) do not hide a gutter
    sizes = sorted(line.size for line in lines)
    body = sizes[len(sizes) // 2]
    narrow = [line for line in narrow if line.size < 1.3 * body]
    diff = [0] * (int(width) + 3)           # difference array: O(lines + width), not O(lines × width)
    for line in narrow:
        a, b = max(0, int(line.x0)), min(len(diff) - 2, int(line.x1) + 1)
        if a < b:
            diff[a] += 1
            diff[b] -= 1
    covered, running = [], 0
    for d in diff[:-1]:
        running += d
        covered.append(running)
    gutters, run_start = [], None
    lo, hi = int(cx0 + 0.15 * content), int(cx1 - 0.15 * content)
    for x in range(lo, hi + 1):
        if covered[x] == 0 and run_start is None:
            run_start = x
        elif covered[x] != 0 and run_start is not None:
            if x - run_start >= 6:
                gutters.append((run_start + x) / 2)
            run_start = None
    # a real gutter is crossed by few lines (a spanning title), not by most of them
    gutters = [g for g in gutters if sum(1 for ln in wide if ln.x0 < g < ln.x1) <= 0.25 * len(lines)]
    if not gutters:
        return _rows(lines)
    wide = [ln for ln in lines if any(ln.x0 < g < ln.x1 for g in gutters)]
    narrow = [ln for ln in lines if not any(ln.x0 < g < ln.x1 for g in gutters)]

    def column(line: _Line) -> int:
        mid = (line.x0 + line.x1) / 2
        return sum(1 for g in gutters if mid > g)

    # a wide line crossing a gutter starts a new horizontal band
    wide.sort(key=lambda ln: ln.y0)
    ordered: list[_Line] = []
    top = -1.0
    for cut in wide + [None]:
        bottom = cut.y0 if cut is not None else float("inf")
        band = [ln for ln in narrow if top <= (ln.y0 + ln.y1) / 2 < bottom]
        for col in sorted({column(ln) for ln in band}):
            ordered.extend(_rows([ln for ln in band if column(ln) == col]))
        if cut is not None:
            ordered.append(cut)
            top = (cut.y0 + cut.y1) / 2
    return ordered


# ---------------------------------------------------------------- document pass

def _open(path: Path) -> pymupdf.Document:
    if not path.is_file():
        raise UnreadablePdf(str(path), "the file does not exist")
    if path.stat().st_size == 0:
        raise UnreadablePdf(str(path), "the file is empty")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - pymupdf raises several unrelated types
        raise UnreadablePdf(str(path), "it is not a valid PDF (corrupt or not a PDF at all)") from exc
    try:  # a truncated file opens, then fails here ("Invalid number of pages")
        locked = doc.needs_pass and not doc.authenticate("")
        page_count = 0 if locked else doc.page_count
    except Exception as exc:  # noqa: BLE001 - pymupdf raises several unrelated types
        doc.close()
        raise UnreadablePdf(str(path), "it is not a valid PDF (its page tree is broken)") from exc
    if locked:
        doc.close()
        raise UnreadablePdf(str(path), "it is encrypted with a password")
    if page_count == 0:
        doc.close()
        raise UnreadablePdf(str(path), "it has no pages")
    return doc


def read_pdf(path: str | Path) -> ParsedDocument:
    """Read one adventure PDF into reading-ordered blocks (see module docstring).

    Raises:
        UnreadablePdf: missing, empty, encrypted, corrupt, or no text layer.
    """
    path = Path(path)
    doc = _open(path)
    try:
        pages, heights, widths, boxes = [], [], [], []
        try:
            for page in doc:
                pages.append(_page_lines(page, page.number + 1))
                heights.append(page.rect.height)
                widths.append(page.rect.width)
                boxes.append(_boxes(page))
            meta_title = (doc.metadata or {}).get("title") or ""
            page_count = doc.page_count
        except Exception as exc:  # noqa: BLE001
            raise UnreadablePdf(str(path), f"a page could not be read ({type(exc).__name__})") from exc
    finally:
        doc.close()
    if sum(len(line.text) for lines in pages for line in lines) < 40:
        raise UnreadablePdf(str(path), "it has no text layer (scanned images need OCR first)")
    pages = _drop_running(pages, heights)
    ordered: list[_Line] = []
    for i, lines in enumerate(pages):
        for line in lines:
            cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
            inside = [j for j, r in enumerate(boxes[i]) if r.x0 - 1 <= cx <= r.x1 + 1 and r.y0 - 1 <= cy <= r.y1 + 1]
            if inside:
                line.box = i * 1000 + min(inside, key=lambda j: boxes[i][j].get_area())
        ordered.extend(_reading_order(lines, widths[i]))
    blocks = build_blocks(ordered, meta_title.strip())
    title = meta_title.strip() or next((b.text for b in blocks if b.kind == "heading"), path.stem)
    log.info("read %s: %d pages, %d blocks", path.name, page_count, len(blocks))
    return ParsedDocument(str(path), title, page_count, tuple(blocks))

"""Group reading-ordered PDF lines into typed blocks: headings, text, read-aloud, stat blocks, tables.

Called by `ingest.campaign.layout.read_pdf` with lines already stripped of running headers/footers and
sorted into reading order. Lines are duck-typed (`page, x0, y0, x1, y1, segs, box, text, size,
frac(attr), lead`); see `ingest.campaign.layout._Line`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Block", "build_blocks", "KEYED_HEADING"]

KEYED_HEADING = re.compile(
    r"^(?:(?:area|room|location|encounter|site)\s+)?([A-Z]{0,3}-?\d{1,3}[A-Za-z]?)\s*[.:)\-–—]\s*"
    r"(?!\d)(?!(?:introduction|background|overview|conclusion|appendix|running|credits|contents|epilogue|prologue|"
    r"synopsis|summary|chapter|part)\b)(\S.{0,80})$",
    re.IGNORECASE)
_STAT_SECTIONS = {"actions", "reactions", "legendary actions", "lair actions", "bonus actions",
                  "mythic actions", "regional effects", "traits"}
_BULLET = re.compile(r"^[•·▪■●◦‣\-–]\s*")
_TERMINAL = (".", "!", "?", ":", '"', ")", "'")


@dataclass(frozen=True)
class Block:
    """One reading-ordered piece of a document.

    kind: "heading" | "text" | "read_aloud" | "stat_block" | "table".
    level: heading depth (1 = chapter); 0 for the document title and for non-headings.
    lead: a run-in bold label opening a text block ("Secret", "Treasure"), else "".
    stat: a heading that titles a stat block (always nested under the current heading).
    """

    kind: str
    text: str
    page: int
    level: int = 0
    lead: str = ""
    size: float = 0.0
    in_box: bool = False
    keyed: bool = False
    stat: bool = False
    italic: bool = False
    bold_phrases: tuple[str, ...] = ()     # inline bold (creatures in most modules), lead excluded
    italic_phrases: tuple[str, ...] = ()   # inline italics (magic items, spells) in non-italic text


def _phrases(lines: list[Any], attr: str, skip_lead: bool) -> tuple[str, ...]:
    """Runs of segments with `attr` set (bold/italic), joined across line wraps."""
    out: list[str] = []
    run: list[str] = []
    first = True
    for line in lines:
        for seg in line.segs:
            text = seg.text.strip()
            if not text:
                continue
            if getattr(seg, attr) and not (skip_lead and first):
                run.append(text)
            else:
                if run:
                    out.append(" ".join(run))
                    run = []
                if not getattr(seg, attr):
                    first = False
            if not getattr(seg, attr):
                first = False
    if run:
        out.append(" ".join(run))
    cleaned = [re.sub(r"[\s.,;:]+$", "", p) for p in out]
    return tuple(dict.fromkeys(p for p in cleaned if len(p) >= 2))


def _body_size(lines: list[Any]) -> float:
    sizes: Counter = Counter()
    for line in lines:
        for seg in line.segs:
            sizes[round(seg.size * 2) / 2] += len(seg.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _body_style(lines: list[Any]) -> tuple[str, int]:
    fonts: Counter = Counter()
    for line in lines:
        for seg in line.segs:
            fonts[(getattr(seg, "font", ""), getattr(seg, "color", 0))] += len(seg.text)
    return fonts.most_common(1)[0][0] if fonts else ("", 0)


def _display_line(line: Any, body: float, style: tuple[str, int]) -> bool:
    """A short line set wholly in another font family *and* colour than the body text (a styled heading)."""
    segs = [s for s in line.segs if s.text.strip()]
    text = line.text.strip()
    if not segs or len(text) > 80 or not (text[0].isupper() or text[0].isdigit()) or line.size < body * 0.97:
        return False
    if line.frac("italic") >= 0.5 or text.endswith((",", ";", ".")):
        return False
    fonts = {getattr(s, "font", "") for s in segs}
    colors = {getattr(s, "color", 0) for s in segs}
    return len(fonts) == 1 and len(colors) == 1 and fonts != {style[0]} and colors != {style[1]}


def _heading_like(line: Any, body: float) -> bool:
    text = line.text.strip()
    if not (2 <= len(text) <= 100) or not re.search(r"[A-Za-z]{2}", text):
        return False
    if _BULLET.match(text) and len(text) > 1 and not text[0].isalnum():
        return False
    size, bold = line.size, line.frac("bold")
    if size >= body * 1.25 and bold >= 0.5:
        return True
    if size >= body * 1.3 and line.frac("italic") < 0.5:
        return True
    return bold >= 0.9 and size >= body * 0.97 and not text[0].islower() and not text.endswith((",", ";"))


def _vocabulary(lines: list[Any]) -> tuple[set[str], set[str]]:
    words, compounds = set(), set()
    broken = False                   # the previous line ended in a hyphen: its last and our first word are halves
    for line in lines:
        text = line.text.rstrip()
        if broken:
            text = re.sub(r"^\W*[A-Za-z]+", "", text)
        broken = bool(re.search(r"[A-Za-z]-$", text))
        if broken:
            text = re.sub(r"[A-Za-z]+-$", "", text)
        for token in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text):
            low = token.lower()
            if "-" in low:
                compounds.add(low)
            words.update(low.split("-"))
    return words, compounds


def _join(lines: list[Any], vocab: tuple[set[str], set[str]]) -> str:
    words, compounds = vocab
    out = ""
    for line in lines:
        text = line.text.strip()
        if not out:
            out = text
            continue
        m = re.search(r"([A-Za-z]+)-$", out)
        n = re.match(r"([a-z]+)", text)
        if m and n:
            left, right = m.group(1).lower(), n.group(1).lower()
            if f"{left}-{right}" in compounds:
                out += text
            elif (left + right) in words or not (left in words and right in words and len(left) > 2):
                out = out[:-1] + text
            else:
                out += text
        else:
            out += " " + text
    return re.sub(r"\s+", " ", out).strip()


def _tables(lines: list[Any], taken: set[int]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of lines forming tables (cells aligned on shared x starts)."""
    rows: list[list[int]] = []
    for i, line in enumerate(lines):
        if i in taken:
            rows.append([])
            continue
        prev = lines[i - 1] if i else None
        same_row = (prev is not None and rows and rows[-1] and prev.page == line.page
                    and abs((prev.y0 + prev.y1) / 2 - (line.y0 + line.y1) / 2) < 0.5 * (line.y1 - line.y0)
                    and line.x0 > prev.x1)
        if same_row:
            rows[-1].append(i)
        else:
            rows.append([i])
    found, r = [], 0
    while r < len(rows):
        row = rows[r]
        if len(row) < 2:
            r += 1
            continue
        cols = sorted(lines[i].x0 for i in row)
        size = lines[row[0]].size
        multi, end = 1, r + 1
        last = lines[row[-1]]
        while end < len(rows) and rows[end]:
            cand = [lines[i] for i in rows[end]]
            first = cand[0]
            if first.page != last.page or first.y0 - max(lines[i].y1 for i in rows[end - 1]) > 1.6 * (first.y1 - first.y0):
                break
            if abs(first.size - size) > 0.6:
                break
            hits = sum(1 for c in cand if any(abs(c.x0 - x) < 4 for x in cols))
            if len(cand) >= 2 and hits >= 2:
                multi += 1
                cols = sorted(set(cols) | {c.x0 for c in cand})
            elif not (len(cand) == 1 and hits == 1 and cand[0].x0 - cols[0] > 4) and not (
                    len(cand) >= 2 and hits >= 1):
                break
            last = cand[-1]
            end += 1
        if multi >= 3:
            begin = row[0]
            head = rows[r - 1] if r else []
            if head and not any(lines[i].page != lines[row[0]].page for i in head):
                xs = [s.x0 for i in head for s in lines[i].segs if s.text.strip()]
                if sum(1 for x in xs if any(abs(x - c) < 4 for c in cols)) >= 2:
                    begin = head[0]
            found.append((begin, rows[end - 1][-1] + 1))
            r = end
        else:
            r += 1
    return found


def _render_table(lines: list[Any]) -> str:
    starts = sorted({round(line.x0) for line in lines})
    cols: list[float] = []
    for x in starts:
        if not cols or x - cols[-1] > 4:
            cols.append(x)
    table: list[list[list[str]]] = []
    for line in lines:
        # a header line may hold several cells separated only by a space span
        cells: list[tuple[int, str]] = []
        for seg in line.segs:
            if not seg.text.strip():
                continue
            col = max(j for j, x in enumerate(cols) if seg.x0 >= x - 4 or j == 0)
            if cells and (col == cells[-1][0] or abs(seg.x0 - cols[col]) > 4):
                cells[-1] = (cells[-1][0], cells[-1][1] + seg.text)
            else:
                cells.append((col, seg.text))
        if not cells:
            continue
        if cells[0][0] == 0 or not table:
            table.append([[] for _ in cols])
        for col, text in cells:
            table[-1][col].append(" ".join(text.split()))
    rows = [[" ".join(cell) for cell in row] for row in table]
    return "\n".join(" | ".join(c for c in row if c) for row in rows)


def _render_stat(lines: list[Any], vocab: tuple[set[str], set[str]]) -> str:
    """One entry per line of the stat block: a row of cells, or a bold-led trait with its wraps."""
    entries: list[list[Any]] = []
    prev = None
    for line in lines:
        same_row = (prev is not None and prev.page == line.page and line.x0 > prev.x1
                    and abs((prev.y0 + prev.y1) / 2 - (line.y0 + line.y1) / 2) < 0.5 * (line.y1 - line.y0))
        starts = bool(line.segs and line.segs[0].bold) or not entries or (
            prev is not None and prev.text.rstrip().endswith(_TERMINAL) and not line.text[:1].islower())
        if same_row:
            entries[-1].append(line)
        elif starts and not (entries and same_row):
            entries.append([line])
        else:
            entries[-1].append(line)
        prev = line
    return "\n".join(_join(group, vocab) for group in entries)


def _stat_ranges(lines: list[Any], body: float, heading: list[bool]) -> list[tuple[int, int]]:
    ranges, i = [], 0
    while i < len(lines):
        # a stat block has both lines, Armor Class first, within a few lines of each other
        if not (re.match(r"^armor class\b", lines[i].text, re.I)
                and any(re.match(r"^hit points\b", ln.text, re.I) for ln in lines[i + 1:i + 4])):
            i += 1
            continue
        start = i
        for back in range(i - 1, max(-1, i - 4), -1):     # the title sits just above the type line
            if heading[back]:
                start = back
                break
        box, end = lines[i].box, i + 1
        while end < len(lines):
            line = lines[end]
            if heading[end] and line.size > body * 1.05:
                break
            small = line.size < body - 0.25
            section = line.text.strip().rstrip(".").lower() in _STAT_SECTIONS
            if not (small or section or (box >= 0 and line.box == box)):
                break
            end += 1
        ranges.append((start, end))
        i = end
    return ranges


def build_blocks(lines: list[Any], title: str = "") -> list[Block]:
    """Turn reading-ordered lines into blocks; see the module docstring."""
    if not lines:
        return []
    body = _body_size(lines)
    heading, kinds, stat_titles = _classify(lines, body)
    title_idx, rank = _title_and_levels(lines, heading, stat_titles, title)
    reader = _BlockReader(lines, _vocabulary(lines), heading, kinds, stat_titles, title_idx, rank, _lead_gap(lines))
    i = 0
    while i < len(lines):
        if kinds[i] in ("stat", "table"):
            i = reader.stat_or_table(i)
        elif heading[i]:
            i = reader.heading(i)
        else:
            i = reader.paragraph(i)
    return _chapter_levels(_drop_echoed_keys(reader.blocks, reader.run_in))


def _classify(lines: list[Any], body: float) -> tuple[list[bool], list[str], set[int]]:
    """Which lines are headings, which belong to a stat block or a table ("stat"/"table", else ""), and which
    headings title a stat block."""
    style = _body_style(lines)
    heading = [_heading_like(line, body) or _display_line(line, body, style) for line in lines]
    kinds: list[str] = [""] * len(lines)
    stat_titles: set[int] = set()
    for start, end in _stat_ranges(lines, body, heading):
        for k in range(start, end):
            kinds[k] = "stat"
        if heading[start]:
            stat_titles.add(start)
    taken = {i for i, k in enumerate(kinds) if k} | {i for i, h in enumerate(heading) if h}
    for start, end in _tables(lines, taken):
        for k in range(start, end):
            kinds[k] = "table"
            heading[k] = False
    return heading, kinds, stat_titles


def _title_and_levels(lines: list[Any], heading: list[bool], stat_titles: set[int],
                      title: str) -> tuple[int, dict[float, int]]:
    """Heading levels by size rank; a lone biggest heading on page 1 is the document title (index, else -1)."""
    sizes = sorted({round(lines[i].size * 2) / 2 for i, h in enumerate(heading) if h and i not in stat_titles},
                   reverse=True)
    top = [i for i, h in enumerate(heading) if h and round(lines[i].size * 2) / 2 == (sizes[0] if sizes else 0)]
    title_idx = -1
    if len(top) == 1 and lines[top[0]].page == 1 and len(sizes) > 1:
        text = " ".join(lines[top[0]].text.split()).casefold()
        # the cover title: the PDF's own title, a heading far bigger than any other, or a clearly bigger one
        # that opens the document (nothing is printed above it) over a level that repeats (several parts)
        opens = not any(lines[k].page == 1 and lines[k].y1 <= lines[top[0]].y0 for k in range(len(lines)))
        second = sum(1 for k, h in enumerate(heading) if h and k not in stat_titles
                     and round(lines[k].size * 2) / 2 == sizes[1])
        if (title and title.casefold() in text) or sizes[0] >= 1.8 * sizes[1] or \
                (opens and second >= 2 and sizes[0] >= 1.3 * sizes[1]):
            title_idx = top[0]
    if title_idx >= 0:
        sizes = sizes[1:]
    return title_idx, {s: n + 1 for n, s in enumerate(sizes)}


def _lead_gap(lines: list[Any]) -> float:
    """Normal leading: the typical gap between consecutive lines of one paragraph."""
    gaps = [b.y0 - a.y1 for a, b in zip(lines, lines[1:])
            if a.page == b.page and 0 <= b.y0 - a.y0 < 2 * (a.y1 - a.y0) and abs(a.x0 - b.x0) < 30]
    gaps.sort()
    return gaps[len(gaps) // 2] if gaps else 0.0


@dataclass
class _BlockReader:
    """Reads blocks off classified lines; each step takes the block starting at line `i` and returns the next index."""

    lines: list[Any]
    vocab: tuple[set[str], set[str]]
    is_heading: list[bool]
    kinds: list[str]
    stat_titles: set[int]
    title_idx: int
    rank: dict[float, int]
    lead_gap: float
    blocks: list[Block] = field(default_factory=list)
    run_in: list[int] = field(default_factory=list)   # indexes of keyed headings made from bold run-in labels
    current_level: int = 0

    def stat_or_table(self, i: int) -> int:
        lines, kinds, line = self.lines, self.kinds, self.lines[i]
        kind, j = kinds[i], i
        while j < len(lines) and kinds[j] == kind and not (j > i and j in self.stat_titles):
            j += 1
        group = [lines[k] for k in range(i, j) if k not in self.stat_titles]
        if i in self.stat_titles:
            self.blocks.append(Block("heading", _join([line], self.vocab), line.page, self.current_level + 1,
                                     size=line.size, in_box=line.box >= 0, stat=True))
        if group:
            text = _render_table(group) if kind == "table" else _render_stat(group, self.vocab)
            self.blocks.append(Block("stat_block" if kind == "stat" else "table", text, group[0].page,
                                     size=group[0].size, in_box=group[0].box >= 0))
        return j

    def heading(self, i: int) -> int:
        lines, line = self.lines, self.lines[i]
        j = i + 1
        while (j < len(lines) and self.is_heading[j] and self.kinds[j] == "" and lines[j].page == line.page
               and abs(lines[j].size - line.size) < 0.3
               and -4 <= lines[j].y0 - lines[j - 1].y1 < 0.6 * (line.y1 - line.y0)
               and abs(lines[j].x0 - line.x0) < 3 and not KEYED_HEADING.match(lines[j].text)):
            j += 1
        text = _join(lines[i:j], self.vocab)
        if i == self.title_idx:
            self.blocks.append(Block("heading", text, line.page, 0, size=line.size))
        else:
            self.current_level = self.rank.get(round(line.size * 2) / 2, len(self.rank) + 1)
            self.blocks.append(Block("heading", text, line.page, self.current_level, size=line.size,
                                     in_box=line.box >= 0, keyed=bool(KEYED_HEADING.match(text))))
        return j

    def paragraph(self, i: int) -> int:
        j = self._paragraph_end(i)
        line, group = self.lines[i], self.lines[i:j]
        text = _join(group, self.vocab)
        chars = sum(len(ln.text) for ln in group)
        ital = sum(ln.frac("italic") * len(ln.text) for ln in group) / max(chars, 1) >= 0.75
        kind = "read_aloud" if ital and chars >= 30 else "text"
        blocks = self.blocks
        after_keyed = bool(blocks) and blocks[-1].kind == "heading" and blocks[-1].keyed and not blocks[-1].in_box
        if kind == "text" and line.box >= 0 and after_keyed and not line.lead and chars >= 30:
            kind = "read_aloud"          # a boxed description opening a keyed area (read-aloud in many modules)
        bold, italics = _phrases(group, "bold", skip_lead=bool(line.lead)), ()
        if not ital:
            italics = _phrases(group, "italic", skip_lead=False)
        lead = line.lead
        keyed = KEYED_HEADING.match(lead) if lead else None
        if keyed and keyed.group(2)[:1].isupper() and text.startswith(lead):
            # a keyed area written as a bold run-in paragraph ("R1. Gallows Crossroads. Where the lane ...")
            # is a keyed heading one level below the current one
            self.run_in.append(len(blocks))
            blocks.append(Block("heading", lead, line.page, self.current_level + 1, size=line.size,
                                in_box=line.box >= 0, keyed=True))
            text, lead = text[len(lead):].lstrip(" .:—–-"), ""
        blocks.append(Block(kind, text, line.page, lead=lead, size=line.size,
                            in_box=line.box >= 0, italic=ital, bold_phrases=bold, italic_phrases=italics))
        return j

    def _paragraph_end(self, i: int) -> int:
        """Where the paragraph starting at line `i` ends: a bullet, a size change, a page or column break after
        a finished sentence, a gap wider than the leading, a box edge, a switch to or from italics, an indent."""
        lines, line = self.lines, self.lines[i]
        j = i + 1
        italic = line.frac("italic") >= 0.7
        group_x0 = min(line.x0, lines[i + 1].x0) if i + 1 < len(lines) else line.x0
        while j < len(lines) and not self.is_heading[j] and not self.kinds[j]:
            prev, nxt = lines[j - 1], lines[j]
            height = max(prev.y1 - prev.y0, 1.0)
            if nxt.lead or _BULLET.match(nxt.text) or abs(nxt.size - prev.size) > 0.5:
                break
            broke = nxt.page != prev.page or nxt.y0 < prev.y0 - 2
            if broke:
                if prev.text.rstrip().endswith(_TERMINAL) and not nxt.text[:1].islower():
                    break
                if (nxt.frac("italic") >= 0.7) != italic:
                    break
            else:
                gap = nxt.y0 - prev.y1 - self.lead_gap
                if gap > 0.2 * height or nxt.box != prev.box:
                    break
                if (nxt.frac("italic") >= 0.7) != italic and gap > 0.1 * height:
                    break
                if nxt.x0 - group_x0 > 1.2 * nxt.size and prev.text.rstrip().endswith(_TERMINAL):
                    break               # first-line indent starts a new paragraph
            j += 1
        return j


def _drop_echoed_keys(blocks: list[Block], run_in: list[int]) -> list[Block]:
    """A run-in "B3. Cellar." whose key also heads a section of its own is a mention (an overview list,
    a summary), not the area: it goes back to being a paragraph with a bold label."""
    real = {KEYED_HEADING.match(b.text).group(1).upper() for n, b in enumerate(blocks)
            if b.kind == "heading" and b.keyed and n not in run_in}
    echoed = {n for n in run_in if KEYED_HEADING.match(blocks[n].text).group(1).upper() in real}
    if not echoed:
        return blocks
    out: list[Block] = []
    for n, block in enumerate(blocks):
        if n in echoed:
            continue
        if n - 1 in echoed:
            label = blocks[n - 1].text
            block = replace(block, text=f"{label}. {block.text}", lead=label)
        out.append(block)
    return out


_CHAPTER = re.compile(r"^(chapter|part|appendix|act|book)\b(?:\s+(?:\d{1,2}|[IVX]{1,5}|[A-Z]|one|two|three|four|"
                      r"five|six|seven|eight|nine|ten))?\s*(?:[:.\-–—]|$)", re.IGNORECASE)


def _chapter_levels(blocks: list[Block]) -> list[Block]:
    """"Chapter 2", "Part 3", "Appendix A" are top-level divisions even when set in a smaller face than
    another one (an appendix title smaller than the part banners): all take the highest of their levels."""
    chapters = [n for n, b in enumerate(blocks) if b.kind == "heading" and b.level > 0 and not b.stat
                and not b.in_box and not b.keyed and _CHAPTER.match(b.text)]
    if len(chapters) < 2:
        return blocks
    top = min(blocks[n].level for n in chapters)
    for n in chapters:
        if blocks[n].level > top:
            blocks[n] = replace(blocks[n], level=top)
    return blocks

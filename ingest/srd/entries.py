"""Split a chapter's lines into entries that start with a heading line (possibly wrapped)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.srd.layout import Line
from ingest.srd.text import join_lines

__all__ = ["Entry", "split_entries", "lines_between"]


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    page: int
    heading: tuple[Line, ...]
    body: tuple[Line, ...]


def split_entries(lines: Sequence[Line], is_heading: Callable[[Line], bool]) -> tuple[list[Line], list[Entry]]:
    """Lines before the first heading, and one :class:`Entry` per heading.

    Consecutive heading lines in the same column, one line-step apart, are one wrapped name.
    """
    preamble: list[Line] = []
    entries: list[tuple[list[Line], list[Line]]] = []
    for line in lines:
        if is_heading(line):
            if entries and not entries[-1][1] and _continues(entries[-1][0][-1], line):
                entries[-1][0].append(line)
            else:
                entries.append(([line], []))
        elif entries:
            entries[-1][1].append(line)
        else:
            preamble.append(line)
    out = [
        Entry(join_lines([l.text for l in head]), head[0].page, tuple(head), tuple(body)) for head, body in entries
    ]
    return preamble, out


def _continues(prev: Line, line: Line) -> bool:
    return prev.page == line.page and prev.column == line.column and 0 < line.y0 - prev.y0 < prev.size * 1.4


def lines_between(lines: Sequence[Line], start: Callable[[Line], bool], stop: Callable[[Line], bool]) -> list[Line]:
    """The lines after the first ``start`` line up to (not including) the next ``stop`` line."""
    out: list[Line] = []
    inside = False
    for line in lines:
        if not inside:
            inside = start(line)
            continue
        if stop(line):
            break
        out.append(line)
    return out

"""The "Variant: ..." sidebars printed beside stat blocks, attached to the creature they vary.

Appendix MM-A has two: "Variant: Diseased Giant Rats" (a giant rat with a diseased bite) and
"Variant: Insect Swarms" (beetles, centipedes, spiders and wasps), each a 10.8 pt GillSans title
over 8.9 pt Calibri prose. A sidebar floats to wherever the layout had room, so it is given to
the nearby stat block whose name shares the most words with its title ("Insect Swarms" ->
Swarm of Insects, not the Swarm of Ravens printed just before it), and its title and paragraphs
are added to that creature's ``description``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from ingest.srd.layout import Line
from ingest.srd.models import Monster
from ingest.srd.text import join_lines

__all__ = ["Sidebar", "sidebar_after", "attach_sidebars"]

log = logging.getLogger(__name__)

_PREFIX = "Variant: "
_NEAR_PAGES = 2
_WORD_RE = re.compile(r"[a-z]+")

Sidebar = tuple[str, int, str]  # (title, page, text with paragraphs separated by "\n")


def sidebar_after(rest: Sequence[Line]) -> Sidebar | None:
    """The first "Variant: ..." sidebar among the lines after a stat block, if any."""
    for i, line in enumerate(rest):
        if line.is_heading() and line.text.startswith(_PREFIX):
            paras: list[list[str]] = []
            for body in rest[i + 1 :]:
                if body.is_heading() or body.size > 9.5:
                    break
                if not paras or body.indent > 5:  # a first-line indent opens a paragraph
                    paras.append([])
                paras[-1].append(body.text)
            text = "\n".join(join_lines(p) for p in paras)
            return (line.text, line.page, text) if text else None
    return None


def _words(text: str) -> set[str]:
    return {w[:-1] if w.endswith("s") else w for w in _WORD_RE.findall(text.lower())} - {"of", "variant"}


def attach_sidebars(monsters: list[Monster], sidebars: list[Sidebar]) -> list[Monster]:
    """``monsters`` with each sidebar's title and text appended to its creature's description."""
    out = list(monsters)
    for title, page, text in sidebars:
        near = [i for i, m in enumerate(out) if abs(m.page - page) <= _NEAR_PAGES]
        if not near:
            continue
        best = max(near, key=lambda i: len(_words(out[i].name) & _words(title)))
        if not _words(out[best].name) & _words(title):
            log.warning("sidebar %r on page %d matches no stat block", title, page)
            continue
        monster = out[best]
        parts = [monster.description, title, text] if monster.description else [title, text]
        out[best] = monster.model_copy(update={"description": "\n".join(parts)})
    return out

"""Fixtures for the SRD parser tests.

| fixture | scope | gives |
|---|---|---|
| `srd_records` | session | `ingest.srd.SrdRecords` of the shipped SRD 5.1 PDF, parsed once (~2-4 s) |
| `srd_by_name` | session | `{kind: {name: record}}` over `srd_records` |
| `srd_plain` | session | `{page: plain text}` straight from pymupdf, cleaned: the reference the tests read from |
| `srd_toc` | session | the PDF's bookmarks `(level, title, page)` |
| `bookmarks_under` | session | `f(title, level)` -> bookmark titles at `level` under `title` |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymupdf
import pytest

SRD_PDF = Path(__file__).resolve().parents[3] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"


@pytest.fixture(scope="session")
def srd_records() -> Any:
    from ingest.srd import parse_srd

    return parse_srd(SRD_PDF)


@pytest.fixture(scope="session")
def srd_by_name(srd_records: Any) -> dict[str, dict[str, Any]]:
    return {
        kind: {r.name: r for r in getattr(srd_records, kind)}
        for kind in ("spells", "monsters", "magic_items", "equipment", "conditions")
    }


@pytest.fixture(scope="session")
def srd_plain() -> dict[int, str]:
    from ingest.srd.text import clean

    doc = pymupdf.open(SRD_PDF)
    try:
        return {i + 1: "\n".join(clean(l) for l in p.get_text().split("\n")) for i, p in enumerate(doc)}
    finally:
        doc.close()


@pytest.fixture(scope="session")
def srd_toc() -> list[tuple[int, str, int]]:
    """The PDF's bookmarks as ``(level, title, page)``, titles cleaned like the parser's text."""
    from ingest.srd.text import clean

    doc = pymupdf.open(SRD_PDF)
    try:
        return [(lvl, clean(title), page) for lvl, title, page, *_ in doc.get_toc()]
    finally:
        doc.close()


@pytest.fixture(scope="session")
def bookmarks_under(srd_toc: list[tuple[int, str, int]]) -> Any:
    """``bookmarks_under(title, level)``: titles at ``level`` below the bookmark ``title``."""
    return lambda title, level: _bookmarks_under(srd_toc, title, level)


def _bookmarks_under(toc: list[tuple[int, str, int]], title: str, level: int) -> list[str]:
    start = next(i for i, (_l, name, _p) in enumerate(toc) if name == title)
    base = toc[start][0]
    out = []
    for lvl, name, _page in toc[start + 1 :]:
        if lvl <= base:
            break
        if lvl == level:
            out.append(name)
    return out

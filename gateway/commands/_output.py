"""One output style for every command: `--json` is one line of JSON per record, timestamps in ISO 8601."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime
from typing import Any

__all__ = ["print_json", "to_json", "pad"]


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def print_json(value: Any) -> None:
    print(to_json(value))


def _cells(text: str) -> int:
    """Terminal columns `text` takes: wide (CJK, emoji) characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (str.ljust counts characters, not columns)."""
    return text + " " * max(0, width - _cells(text))

"""PostgreSQL stores no NUL character in `text` or `jsonb`; a model reply or a player line may carry one.

Unhandled, a `\\x00` in any written string made the write raise (psycopg's "text fields cannot contain NUL"
or jsonb's "\\u0000 cannot be converted to text"): a DM turn whose reply held one could never be saved, so its
message came back on every recovery. `configure_connection` (the pool's `configure` hook) makes every string
and every JSON document a connection writes drop its NUL characters, whatever code path writes it.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import set_json_dumps
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

__all__ = ["configure_connection", "without_nul"]

_NUL = "\x00"
_MAX_DEPTH = 64


def without_nul(value: Any, depth: int = 0) -> Any:
    """`value` with NUL characters removed from every string in it (keys included)."""
    if isinstance(value, str):
        return value.replace(_NUL, "") if _NUL in value else value
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {without_nul(k, depth + 1): without_nul(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nul(v, depth + 1) for v in value]
    return value


def _dumps(obj: Any) -> str:
    text = json.dumps(obj)
    return json.dumps(without_nul(obj)) if "\\u0000" in text else text


class _StrDumper(StrDumperUnknown):
    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace(_NUL, "") if _NUL in obj else obj)


class _StrBinaryDumper(StrBinaryDumper):
    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace(_NUL, "") if _NUL in obj else obj)


async def configure_connection(conn: AsyncConnection[Any]) -> None:
    """Register the NUL-dropping dumpers on a new pooled connection (text and binary strings, JSON)."""
    conn.adapters.register_dumper(str, _StrBinaryDumper)
    conn.adapters.register_dumper(str, _StrDumper)  # the last registered is the default (text, "unknown" oid)
    set_json_dumps(_dumps, conn)

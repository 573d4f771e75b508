"""Import the SRD 5.1 into the rules tables: parse (off the event loop), then store in one transaction.

    counts = await import_srd(db, DEFAULT_SRD_PDF)          # {"spells": 319, "monsters": 317, ...}
    await ensure_srd(db)                                     # import only when the tables are empty

The CLI (`lorekeeper rules import`), the console's first run, the benchmarks and the tests all use
this; parsing happens before the database is touched, so a malformed PDF writes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.srd import DEFAULT_SRD_PDF, SrdRecords, parse_srd
from persistence.database import Database
from persistence.srd_repository import SrdRepository

__all__ = ["ensure_srd", "import_srd", "records_as_dicts"]


def records_as_dicts(records: SrdRecords) -> dict[str, list[dict[str, Any]]]:
    return {kind: [r.model_dump(mode="json") for r in getattr(records, kind)] for kind in type(records).model_fields}


async def import_srd(db: Database, path: Path = DEFAULT_SRD_PDF,
                     timings: dict[str, float] | None = None) -> dict[str, int]:  # fmt: skip
    """Parse ``path`` (off the event loop) and replace the SRD tables with its records; returns the counts."""
    timings = {} if timings is None else timings
    records = await asyncio.to_thread(parse_srd, path, timings)
    sha = await asyncio.to_thread(lambda: hashlib.sha256(path.read_bytes()).hexdigest())
    t0 = time.perf_counter()
    counts = await SrdRepository(db).replace_all(records_as_dicts(records), source_file=path.name, sha256=sha)
    timings["store"] = time.perf_counter() - t0
    return counts


async def ensure_srd(
    db: Database, path: Path = DEFAULT_SRD_PDF, *, announce: Callable[[], None] | None = None
) -> bool:
    """Import the SRD when its tables are empty (calling `announce` first); True when it imported."""
    if any((await SrdRepository(db).counts()).values()):
        return False
    if announce is not None:
        announce()
    await import_srd(db, path)
    return True

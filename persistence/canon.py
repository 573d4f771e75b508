"""The canon ledger's rows: a campaign's established facts (`canon_facts`, migration 040).

One row per (campaign, subject, predicate), the subject compared case-insensitively; a newer fact
replaces the older one and keeps the first `created_at`. A DM turn's facts ride on its `TurnRecord`
(`canon`) and are written by `PlayStateRepository.save` through `write_facts`, in the transaction
that stores the turn, with the turn's id as their source; `CanonRepository.record` writes facts on
their own (a campaign's opening facts, a chunk's). Every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from persistence.database import Database
from persistence.interfaces import CanonFact

__all__ = ["CanonFact", "CanonRepository", "write_facts"]

# the table's CHECK limits: longer text is cut, not refused (a turn must not fail on a long promise)
_SUBJECT, _PREDICATE, _OBJECT, _SOURCE = 120, 40, 300, 120

_UPSERT = """
    INSERT INTO canon_facts (campaign_id, subject, predicate, object, source)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (campaign_id, lower(subject), predicate) DO UPDATE SET
        subject = EXCLUDED.subject, object = EXCLUDED.object, source = EXCLUDED.source, updated_at = now()
"""


def _rows(campaign_id: int, facts: Sequence[CanonFact], source: str) -> list[tuple[Any, ...]]:
    """Bound rows, cut to the column limits; the last fact wins within one batch (one row per key)."""
    rows: dict[tuple[str, str], tuple[Any, ...]] = {}
    for fact in facts:
        subject = " ".join(fact.subject.split())[:_SUBJECT]
        predicate = fact.predicate.strip()[:_PREDICATE]
        if not subject or not predicate:
            continue
        rows[(subject.lower(), predicate)] = (
            campaign_id, subject, predicate, " ".join(fact.object.split())[:_OBJECT],
            (fact.source or source)[:_SOURCE],
        )  # fmt: skip
    return list(rows.values())


async def write_facts(conn: Any, campaign_id: int, facts: Sequence[CanonFact], *, source: str = "") -> int:
    """Upsert `facts` on an open transaction's connection; `source` fills a fact that has none. Returns rows written."""
    rows = _rows(campaign_id, facts, source)
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany(_UPSERT, rows)
    return len(rows)


class CanonRepository:
    """`persistence.interfaces.CanonStore` on PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def facts(self, campaign_id: int) -> list[CanonFact]:
        """The campaign's stored facts, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT subject, predicate, object, source FROM canon_facts WHERE campaign_id = %s ORDER BY id",
            (campaign_id,),
        )
        return [CanonFact(r["subject"], r["predicate"], r["object"], r["source"]) for r in rows]

    async def record(self, campaign_id: int, facts: Sequence[CanonFact], *, source: str = "") -> int:
        """Store `facts` in their own transaction; returns how many rows were written."""
        async with self._db.transaction() as conn:
            return await write_facts(conn, campaign_id, facts, source=source)

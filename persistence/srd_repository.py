"""The SRD rules tables: a whole-book import in one transaction, exports and lookups.

`persistence/` never imports `ingest/`: records arrive as JSON-ready dicts whose keys are the
export field names (`Spell.model_dump(mode="json")` and friends). Each row keeps that dict in
its `data` column, so an export returns exactly what was imported; the typed columns serve
indexes and queries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from persistence.database import Database
from persistence.errors import PersistenceError

__all__ = ["SrdRepository", "SrdImportFailed", "SRD_KINDS", "cr_value"]

log = logging.getLogger(__name__)

# kind -> table; the order is the import order
SRD_KINDS = {
    "spells": "spells",
    "monsters": "monsters",
    "magic_items": "magic_items",
    "equipment": "equipment",
    "conditions": "conditions",
    "rules_sections": "rules_sections",
}

_INSERT = {
    "spells": (
        "INSERT INTO spells (name, level, school, casting_time, range, components, material, duration,"
        " concentration, ritual, description, higher_levels, classes, page, data)"
        " VALUES (%(name)s, %(level)s, %(school)s, %(casting_time)s, %(range)s, %(components)s, %(material)s,"
        " %(duration)s, %(concentration)s, %(ritual)s, %(description)s, %(higher_levels)s, %(classes)s, %(page)s,"
        " %(data)s)"
    ),
    "monsters": (
        "INSERT INTO monsters (name, size, type, subtype, alignment, armor_class, armor_class_source, hit_points,"
        " hit_dice, speed, str, dex, con, int, wis, cha, challenge_rating, cr_value, xp, page, data)"
        " VALUES (%(name)s, %(size)s, %(type)s, %(subtype)s, %(alignment)s, %(armor_class)s,"
        " %(armor_class_source)s, %(hit_points)s, %(hit_dice)s, %(speed_text)s, %(str)s, %(dex)s, %(con)s,"
        " %(int)s, %(wis)s, %(cha)s, %(challenge_rating)s, %(cr_value)s, %(xp)s, %(page)s, %(data)s)"
    ),
    "magic_items": (
        "INSERT INTO magic_items (name, type, rarity, attunement, attunement_requirement, description, page, data)"
        " VALUES (%(name)s, %(type)s, %(rarity)s, %(attunement)s, %(attunement_requirement)s, %(description)s,"
        " %(page)s, %(data)s)"
    ),
    "equipment": (
        "INSERT INTO equipment (name, category, cost, cost_cp, weight, page, data)"
        " VALUES (%(name)s, %(category)s, %(cost)s, %(cost_cp)s, %(weight_lb)s, %(page)s, %(data)s)"
    ),
    "conditions": (
        "INSERT INTO conditions (name, description, data) VALUES (%(name)s, %(description)s, %(data)s)"
    ),
    "rules_sections": (
        "INSERT INTO rules_sections (heading, path, text, page) VALUES (%(name)s, %(path)s, %(text)s, %(page)s)"
    ),
}


class SrdImportFailed(PersistenceError):
    """The database refused the import; the transaction was rolled back and the old rows remain."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The rules import was refused by the database ({reason}); nothing was changed.")
        self.reason = reason


def cr_value(challenge_rating: str) -> float:
    """``"1/4"`` -> 0.25, ``"10"`` -> 10.0."""
    return float(Fraction(challenge_rating))


class SrdRepository:
    """Reads and writes the SRD tables with bound parameters only."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace_all(
        self, records: Mapping[str, Sequence[Mapping[str, Any]]], *, source_file: str, sha256: str
    ) -> dict[str, int]:
        """Replace every SRD table's rows with ``records`` in ONE transaction; return the counts.

        Re-importing the same book gives the same rows (no duplicates); a failure leaves the
        previous import untouched.
        """
        unknown = set(records) - set(SRD_KINDS)
        if unknown:
            raise ValueError(f"unknown SRD kinds: {sorted(unknown)}")
        counts = {kind: len(records.get(kind, ())) for kind in SRD_KINDS}
        try:
            await self._replace(records, counts, source_file, sha256)
        except psycopg.Error as exc:  # a constraint or type error: the transaction has rolled back
            raise SrdImportFailed(type(exc).__name__) from exc
        log.info("SRD imported", extra={"counts": counts, "source_file": source_file})
        return counts

    async def _replace(
        self, records: Mapping[str, Sequence[Mapping[str, Any]]], counts: dict[str, int], source_file: str, sha256: str
    ) -> None:
        async with self._db.transaction() as conn:
            # one statement empties all six tables; no other table references them
            await conn.execute(
                "TRUNCATE spells, monsters, magic_items, equipment, conditions, rules_sections RESTART IDENTITY"
            )
            for kind in SRD_KINDS:
                rows = [_params(kind, r) for r in records.get(kind, ())]
                if rows:
                    async with conn.cursor() as cur:
                        await cur.executemany(_INSERT[kind], rows)
            await conn.execute("DELETE FROM srd_sources WHERE sha256 <> %s", (sha256,))
            await conn.execute(
                "INSERT INTO srd_sources (source_file, sha256, counts) VALUES (%s, %s, %s)"
                " ON CONFLICT (sha256) DO UPDATE SET source_file = EXCLUDED.source_file,"
                " counts = EXCLUDED.counts, imported_at = now()",
                (source_file, sha256, Jsonb(counts)),
            )

    async def counts(self) -> dict[str, int]:
        """Rows per SRD table."""
        row = await self._db.fetch_one(
            "SELECT (SELECT count(*) FROM spells) AS spells, (SELECT count(*) FROM monsters) AS monsters,"
            " (SELECT count(*) FROM magic_items) AS magic_items, (SELECT count(*) FROM equipment) AS equipment,"
            " (SELECT count(*) FROM conditions) AS conditions,"
            " (SELECT count(*) FROM rules_sections) AS rules_sections"
        )
        return {k: int(v) for k, v in (row or {}).items()}

    async def source(self) -> dict[str, Any] | None:
        """The imported book: ``source_file``, ``sha256``, ``counts``, ``imported_at``; None before any import."""
        return await self._db.fetch_one(
            "SELECT source_file, sha256, counts, imported_at FROM srd_sources ORDER BY imported_at DESC LIMIT 1"
        )

    async def export(self, kind: str) -> list[dict[str, Any]]:
        """Every record of ``kind`` (not rules_sections) as imported, in book order."""
        table = _entry_table(kind)
        rows = await self._db.fetch_all(f"SELECT data FROM {table} ORDER BY id")  # table name from a fixed map
        return [row["data"] for row in rows]

    async def rules_sections(self) -> list[dict[str, Any]]:
        """Every rules section: ``name``, ``path``, ``text``, ``page``, in book order."""
        rows = await self._db.fetch_all("SELECT heading, path, text, page FROM rules_sections ORDER BY id")
        return [{"name": r["heading"], "path": r["path"], "text": r["text"], "page": r["page"]} for r in rows]

    async def search_rules(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        """Rules sections ranked by full-text match (heading weighted over body), best first."""
        rows = await self._db.fetch_all(
            "SELECT heading, path, page, ts_rank(tsv, q) AS rank,"
            " ts_headline('english', text, q, 'MaxWords=30, MinWords=10') AS snippet"
            " FROM rules_sections, websearch_to_tsquery('english', %(q)s) AS q"
            " WHERE tsv @@ q ORDER BY rank DESC, id LIMIT %(limit)s",
            {"q": text, "limit": max(1, min(limit, 50))},
        )
        return [dict(r) for r in rows]


def _entry_table(kind: str) -> str:
    if kind not in SRD_KINDS or kind == "rules_sections":
        raise ValueError(f"unknown SRD kind {kind!r}")
    return SRD_KINDS[kind]


def _params(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(record)
    if kind == "monsters":
        params["cr_value"] = cr_value(record["challenge_rating"])
    if kind != "rules_sections":
        params["data"] = Jsonb(dict(record))
    return params

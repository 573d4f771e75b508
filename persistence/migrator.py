"""Numbered SQL migrations (`persistence/migrations/NNN_name.sql`), applied in order, once.

Each file runs in its own transaction and is recorded in `schema_migrations` with a
checksum; an applied file that was edited afterwards is refused. A transaction-scoped
advisory lock lets several processes start at once without racing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from persistence.database import Database
from persistence.errors import MigrationError

__all__ = ["Migration", "MigrationStatus", "discover", "upgrade", "status", "MIGRATIONS_DIR"]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x4C6F72654B  # "LoreK"

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    version: int
    name: str
    applied: bool
    applied_at: str | None


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"Migration file {path.name} is not named NNN_name.sql.")
        migrations.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("Two migration files share a number: " + ", ".join(p.path.name for p in migrations))
    return migrations


async def _applied(db: Database) -> dict[int, dict]:
    await db.execute(_CREATE_TABLE)
    rows = await db.fetch_all("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
    return {row["version"]: row for row in rows}


async def upgrade(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every pending migration in order; returns those applied (empty when up to date)."""
    applied_now: list[Migration] = []
    await db.execute(_CREATE_TABLE)
    for migration in discover(directory):
        async with db.transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur = await conn.execute("SELECT checksum FROM schema_migrations WHERE version = %s", (migration.version,))
            row = await cur.fetchone()
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"Migration {migration.path.name} was changed after it was applied; "
                        "add a new numbered migration instead."
                    )
                continue
            try:
                await conn.execute(migration.sql)
            except psycopg.Error as exc:
                raise MigrationError(f"Migration {migration.path.name} failed: {exc}") from exc
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
        log.info("applied migration %s", migration.path.name)
        applied_now.append(migration)
    return applied_now


async def status(db: Database, directory: Path = MIGRATIONS_DIR) -> list[MigrationStatus]:
    applied = await _applied(db)
    return [
        MigrationStatus(
            m.version,
            m.name,
            m.version in applied,
            applied[m.version]["applied_at"].isoformat() if m.version in applied else None,
        )
        for m in discover(directory)
    ]

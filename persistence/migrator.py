"""Numbered SQL migrations (`persistence/migrations/NNN_name.sql`), applied in order, once.

Each file runs in its own transaction and is recorded in `schema_migrations` with its name and a
checksum. The files must keep matching what was applied: an applied file that was edited, deleted or
renamed afterwards makes `upgrade` refuse before it runs anything (`drift` names each one) and
`status` reports it as the row's `problem`. A transaction-scoped advisory lock lets several processes
start at once without racing.
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

__all__ = ["Migration", "MigrationStatus", "discover", "drift", "upgrade", "status", "MIGRATIONS_DIR"]

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
    problem: str | None = None  # the file no longer matches what was applied (edited, deleted, renamed)


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


def _file_name(row: dict) -> str:
    return f"{row['version']:03d}_{row['name']}.sql"


def drift(applied: dict[int, dict], migrations: list[Migration]) -> dict[int, str]:
    """Per applied version, what is wrong with its file now (nothing wrong: not in the result)."""
    by_version = {m.version: m for m in migrations}
    by_checksum = {m.checksum: m for m in migrations}
    problems: dict[int, str] = {}
    for version, row in applied.items():
        name = _file_name(row)
        current = by_version.get(version)
        if current is not None and current.name == row["name"]:
            if current.checksum != row["checksum"]:
                problems[version] = (f"Migration {name} was changed after it was applied; "
                                     "restore it and add a new numbered migration instead.")
            continue
        twin = by_checksum.get(row["checksum"])
        if twin is not None:
            problems[version] = (f"Migration {name} was applied but its file was renamed to {twin.path.name}; "
                                 "rename it back (an applied migration keeps its number and name).")
        else:
            problems[version] = (f"Migration {name} was applied to this database but its file is missing "
                                 "(deleted or renamed and edited); restore it.")
    return problems


async def upgrade(db: Database, directory: Path | None = None) -> list[Migration]:
    """Apply every pending migration in order; returns those applied (empty when up to date).

    Raises:
        MigrationError: an applied migration's file was edited, deleted or renamed (checked before anything
            runs), or a migration failed (its transaction is rolled back).
    """
    directory = MIGRATIONS_DIR if directory is None else directory
    applied_now: list[Migration] = []
    migrations = discover(directory)
    problems = drift(await _applied(db), migrations)
    if problems:
        raise MigrationError(" ".join(problems[v] for v in sorted(problems)))
    for migration in migrations:
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


async def status(db: Database, directory: Path | None = None) -> list[MigrationStatus]:
    """Every migration file and every applied migration, in order; a row whose file no longer matches what
    was applied carries the `problem` (an applied migration without a file gets a row of its own)."""
    directory = MIGRATIONS_DIR if directory is None else directory
    applied = await _applied(db)
    migrations = discover(directory)
    problems = drift(applied, migrations)
    rows = [
        MigrationStatus(
            m.version,
            m.name,
            m.version in applied,
            applied[m.version]["applied_at"].isoformat() if m.version in applied else None,
            problems.get(m.version),
        )
        for m in migrations
    ]
    present = {m.version for m in migrations}
    rows += [MigrationStatus(v, row["name"], True, row["applied_at"].isoformat(), problems.get(v))
             for v, row in applied.items() if v not in present]
    return sorted(rows, key=lambda r: r.version)

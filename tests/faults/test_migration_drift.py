"""Hole (d): the migrator trusted the files. A migration that was applied and then deleted or renamed
was accepted silently (a renamed one would even run twice), and `db status` showed an applied file
that was edited afterwards as plainly "applied". Now `db upgrade` (and every start, which upgrades)
refuses with a message naming the file, and `db status` warns."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from gateway.cli import main
from persistence import migrator
from persistence.database import Database
from persistence.errors import MigrationError


_NAMES = itertools.count(1)


@pytest.fixture
async def drift_db(db: Database, embedded_pg: str):
    """A fresh, empty database on the session's server; yields (Database, its URI). Never dropped: DROP DATABASE
    forces a checkpoint of the whole cluster (tens of seconds on a busy box), and the session's server, in its
    own temporary folder, goes away with the session."""
    name = f"drift_{os.getpid()}_{next(_NAMES)}"
    admin = Database(embedded_pg, max_size=1, timeout_s=120)
    await admin.open()
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    uri = embedded_pg.replace("/lorekeeper?", f"/{name}?")
    scratch = Database(uri, max_size=2)
    await scratch.open()
    yield scratch, uri
    await scratch.close()


def _two(directory: Path) -> None:
    (directory / "001_first.sql").write_text("CREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY);")
    (directory / "002_second.sql").write_text("CREATE TABLE IF NOT EXISTS b (id int PRIMARY KEY);")


async def test_a_deleted_applied_migration_is_refused(drift_db, tmp_path: Path) -> None:
    db, _ = drift_db
    _two(tmp_path)
    await migrator.upgrade(db, tmp_path)
    (tmp_path / "002_second.sql").unlink()
    (tmp_path / "003_third.sql").write_text("CREATE TABLE c (id int);")
    with pytest.raises(MigrationError, match=r"002_second\.sql was applied .* missing"):
        await migrator.upgrade(db, tmp_path)
    assert await db.fetch_value("SELECT to_regclass('c') IS NULL")  # refused before anything ran


async def test_a_renamed_applied_migration_is_refused_and_not_run_twice(drift_db, tmp_path: Path) -> None:
    db, _ = drift_db
    _two(tmp_path)
    await migrator.upgrade(db, tmp_path)
    (tmp_path / "002_second.sql").rename(tmp_path / "002_renamed.sql")
    with pytest.raises(MigrationError, match=r"002_second\.sql .*renamed.*002_renamed\.sql"):
        await migrator.upgrade(db, tmp_path)
    (tmp_path / "002_renamed.sql").rename(tmp_path / "003_second.sql")
    with pytest.raises(MigrationError, match=r"002_second\.sql .*renamed.*003_second\.sql"):
        await migrator.upgrade(db, tmp_path)
    assert await db.fetch_value("SELECT count(*) FROM schema_migrations") == 2


async def test_status_warns_about_edited_and_missing_migrations(drift_db, tmp_path: Path) -> None:
    db, _ = drift_db
    _two(tmp_path)
    await migrator.upgrade(db, tmp_path)
    (tmp_path / "001_first.sql").write_text("CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY);")
    (tmp_path / "002_second.sql").unlink()
    rows = {row.version: row for row in await migrator.status(db, tmp_path)}
    assert rows[1].applied and "changed after it was applied" in (rows[1].problem or "")
    assert rows[2].applied and "missing" in (rows[2].problem or "")


async def test_db_status_cli_prints_the_warning(drift_db, tmp_path: Path, settings_env: Path,
                                                monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from gateway.settings import get_settings

    db, uri = drift_db
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    _two(migrations)
    await migrator.upgrade(db, migrations)
    (migrations / "001_first.sql").write_text("-- edited\nCREATE TABLE IF NOT EXISTS a (id int PRIMARY KEY);")
    monkeypatch.setattr(migrator, "MIGRATIONS_DIR", migrations)
    monkeypatch.setenv("DATABASE_URL", uri)
    get_settings.cache_clear()
    code = await _in_thread(lambda: main(["db", "status"]))
    captured = capsys.readouterr()
    assert code == 1
    assert "001 first" in captured.out and "WARNING" in captured.out + captured.err
    assert "changed after it was applied" in captured.out + captured.err
    code = await _in_thread(lambda: main(["db", "upgrade"]))
    assert code == 1 and "001_first.sql was changed after it was applied" in capsys.readouterr().err


async def _in_thread(call):  # the CLI runs its own event loop
    import asyncio

    return await asyncio.to_thread(call)

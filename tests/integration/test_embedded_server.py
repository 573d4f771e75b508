"""The embedded PostgreSQL keeps its data across restarts and recovers from a stale folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from persistence.database import Database
from persistence.embedded import EmbeddedPostgres

REPO_ROOT = Path(__file__).resolve().parents[2]

_WRITE_THEN_EXIT = """
import asyncio, sys
from persistence.embedded import EmbeddedPostgres
from persistence.database import Database

async def main():
    uri = EmbeddedPostgres(sys.argv[1]).start()
    async with Database(uri) as db:
        await db.execute("CREATE TABLE IF NOT EXISTS keepsake (note text)")
        await db.execute("INSERT INTO keepsake VALUES (%s)", (sys.argv[2],))
asyncio.run(main())
"""


async def test_server_restarts_and_keeps_data(tmp_path: Path) -> None:
    # The first process writes and exits: its atexit hook stops the server it started.
    subprocess.run([sys.executable, "-c", _WRITE_THEN_EXIT, str(tmp_path), "the lantern is lit"],
                   check=True, cwd=REPO_ROOT, timeout=120)
    postmaster = tmp_path / "pgdata" / "postmaster.pid"
    assert not postmaster.exists(), "the server should have stopped with its last user"

    server = EmbeddedPostgres(tmp_path)
    try:
        async with Database(server.start()) as db:
            assert await db.fetch_value("SELECT note FROM keepsake") == "the lantern is lit"
    finally:
        server.stop()
    assert not postmaster.exists()


async def test_stale_folder_with_only_dot_files_is_cleared(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / ".handle_pids.json").write_text("[]")
    server = EmbeddedPostgres(tmp_path)
    try:
        async with Database(server.start()) as db:
            assert await db.fetch_value("SELECT 1") == 1
    finally:
        server.stop()
    assert (pgdata / "PG_VERSION").exists()

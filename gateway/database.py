"""Settings → an open, migrated `Database`: the one place that decides embedded vs. DATABASE_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gateway.errors import ConfigError
from gateway.settings import Settings
from persistence import migrator
from persistence.database import Database
from persistence.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from persistence.embedded import EmbeddedPostgres

__all__ = ["resolve_conninfo", "open_database", "describe_url"]

log = logging.getLogger(__name__)

_embedded: dict[str, EmbeddedPostgres] = {}


def resolve_conninfo(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise start (or reuse) the embedded server under the data dir."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    from persistence.embedded import EmbeddedPostgres

    key = str(settings.data_dir)
    server = _embedded.get(key)
    if server is None:
        server = _embedded[key] = EmbeddedPostgres(settings.data_dir)
    return server.start()


@asynccontextmanager
async def open_database(settings: Settings, *, upgrade: bool = True, max_size: int = 8) -> AsyncIterator[Database]:
    """An open pool for the configured database, migrated to the newest schema unless `upgrade=False`."""
    conninfo = await asyncio.to_thread(resolve_conninfo, settings)  # starting the embedded server blocks
    database = Database(conninfo, max_size=max_size, timeout_s=settings.db_timeout_s)
    if settings.database_url is not None:
        if not conninfo.startswith(("postgresql://", "postgres://")) and "=" not in conninfo:
            raise ConfigError("DATABASE_URL is not a PostgreSQL URL (expected postgresql://user:password@host:port/"
                              "database); unset it to use the embedded database.")
        try:
            await database.open()
        except DatabaseUnavailable as exc:
            raise ConfigError(f"Cannot reach the database at DATABASE_URL ({describe_url(conninfo)}): "
                              f"{exc.reason.removeprefix('could not connect: ')}. Check DATABASE_URL, or unset "
                              "it to use the embedded database.") from exc
    async with database as db:
        if upgrade:
            applied = await migrator.upgrade(db)
            if applied:
                log.info("database schema upgraded", extra={"migrations": [m.path.name for m in applied]})
        yield db


def describe_url(conninfo: str) -> str:
    """"host 127.0.0.1, port 1, database db" from a URL: enough to find the problem, never the password."""
    try:
        parts = urlsplit(conninfo)
        host, port = parts.hostname or "localhost", parts.port or 5432
    except ValueError:
        return "an unreadable URL"
    database = parts.path.lstrip("/") or "(default)"
    return f"host {host}, port {port}, database {database}"

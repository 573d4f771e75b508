"""Settings → an open, migrated `Database`: the one place that decides embedded vs. DATABASE_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.settings import Settings
from persistence import migrator
from persistence.database import Database
from persistence.embedded import EmbeddedPostgres

__all__ = ["resolve_conninfo", "open_database"]

log = logging.getLogger(__name__)

_embedded: dict[str, EmbeddedPostgres] = {}


def resolve_conninfo(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise start (or reuse) the embedded server under the data dir."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    key = str(settings.data_dir)
    server = _embedded.get(key)
    if server is None:
        server = _embedded[key] = EmbeddedPostgres(settings.data_dir)
    return server.start()


@asynccontextmanager
async def open_database(settings: Settings, *, upgrade: bool = True, max_size: int = 8) -> AsyncIterator[Database]:
    """An open pool for the configured database, migrated to the newest schema unless `upgrade=False`."""
    conninfo = await asyncio.to_thread(resolve_conninfo, settings)  # starting the embedded server blocks
    async with Database(conninfo, max_size=max_size, timeout_s=settings.db_timeout_s) as db:
        if upgrade:
            applied = await migrator.upgrade(db)
            if applied:
                log.info("database schema upgraded", extra={"migrations": [m.path.name for m in applied]})
        yield db

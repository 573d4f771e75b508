"""The async psycopg 3 connection pool, with psycopg's errors mapped at the edge.

Everything above `persistence/` sees `DatabaseUnavailable` and friends, never psycopg.
Rows come back as dicts. SQL is always given with bound parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from persistence.errors import DatabaseUnavailable
from persistence.text_safety import configure_connection

__all__ = ["WRITE_OBSERVERS", "Database", "Params"]

Params = Sequence[Any] | dict[str, Any] | None

# Monitoring's hooks (gateway.observability installs monitoring.metrics.observe_db_write; persistence imports no
# monitoring): called with (op, seconds, failure) after every write; failure is the database error's class name.
WRITE_OBSERVERS: list[Callable[[str, float, str | None], None]] = []
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")
_UNWATCHED = contextlib.nullcontext()


def _failure(exc: BaseException) -> str | None:
    """The class of a database failure (psycopg's, the pool's, or the one under DatabaseUnavailable); None for an
    exception of the caller's own (StaleState, DuplicateMessage...)."""
    if isinstance(exc, DatabaseUnavailable):
        return type(exc.__cause__ or exc).__name__
    return type(exc).__name__ if isinstance(exc, (psycopg.Error, PoolTimeout)) else None


def _report(op: str, started: float, failure: str | None) -> None:
    seconds = time.perf_counter() - started
    for observer in WRITE_OBSERVERS:
        try:
            observer(op, seconds, failure)
        except Exception:  # noqa: BLE001 - monitoring never breaks a write
            pass

CHECK_IDLE_S = 1.0  # a pooled connection idle at least this long is checked (one round trip) before use


class _Freshness:
    """The pool's check and reset callbacks: a connection handed back healthy moments ago is lent again
    without the check's extra round trip (a broken one is discarded by the pool when it comes back)."""

    def __init__(self) -> None:
        self._returned: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    async def check(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if time.monotonic() - self._returned.get(conn, float("-inf")) >= CHECK_IDLE_S:
            await AsyncConnectionPool.check_connection(conn)

    async def reset(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._returned[conn] = time.monotonic()


def _first_line(exc: BaseException) -> str:
    """psycopg's reason without libpq's hints ("connection refused", "missing "=" after ..."), never the DSN."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text.split(": ", 1)[1] if text.startswith("connection failed: ") else text


class Database:
    """A pool of async connections; open with `await db.open()` or `async with Database(...)`.

    Args:
        conninfo: a libpq URI or DSN.
        timeout_s: how long to wait for a connection and, per statement, for the server.
    """

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 8, timeout_s: float = 10.0) -> None:
        self._timeout_s = timeout_s
        self._conninfo = conninfo
        self._opened = False
        fresh = _Freshness()
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout_s,
            open=False,
            kwargs={
                "row_factory": dict_row,
                "autocommit": True,
                "options": f"-c statement_timeout={int(timeout_s * 1000)}",
            },
            check=fresh.check,
            reset=fresh.reset,
            configure=configure_connection,  # writes drop NUL characters (persistence.text_safety)
            name="lorekeeper",
        )

    async def open(self) -> Database:
        """Connect once (failing fast, without the pool's retries and warnings), then open the pool."""
        try:
            probe = await psycopg.AsyncConnection.connect(self._conninfo, connect_timeout=self._connect_timeout())
            await probe.close()
        except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
            raise DatabaseUnavailable(f"could not connect: {_first_line(exc)}") from exc
        try:
            await self._pool.open(wait=True, timeout=self._timeout_s)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            await self._pool.close()
            raise DatabaseUnavailable("could not connect") from exc
        self._opened = True
        return self

    def _connect_timeout(self) -> int:
        return max(2, min(int(self._timeout_s), 5))

    async def close(self) -> None:
        self._opened = False
        await self._pool.close()

    async def __aenter__(self) -> Database:
        return self if self._opened else await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        """A pooled connection in autocommit mode; errors are mapped to `PersistenceError`s."""
        try:
            async with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise DatabaseUnavailable("no connection free in time") from exc
        except psycopg.errors.QueryCanceled as exc:
            raise DatabaseUnavailable("a query took too long") from exc
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable("the connection dropped") from exc

    @asynccontextmanager
    async def timed_write(self, op: str) -> AsyncIterator[None]:
        """Report the enclosed write's duration, and a database failure's class, to `WRITE_OBSERVERS`."""
        if not WRITE_OBSERVERS:
            yield
            return
        started = time.perf_counter()
        try:
            yield
        except BaseException as exc:
            _report(op, started, _failure(exc))
            raise
        _report(op, started, None)

    def _watch(self, op: str, sql: str) -> contextlib.AbstractAsyncContextManager[Any]:
        """`timed_write(op)` for a statement that writes (INSERT/UPDATE/DELETE...), nothing for a read."""
        if WRITE_OBSERVERS and sql.lstrip()[:6].upper().startswith(_WRITE_VERBS):
            return self.timed_write(op)
        return _UNWATCHED

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
        """A connection inside one transaction: committed on success, rolled back on any error."""
        async with self.timed_write("transaction"), self.connection() as conn, conn.transaction():
            yield conn

    async def execute(self, sql: str, params: Params = None) -> int:
        async with self.timed_write("execute"), self.connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    async def fetch_all(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        async with self._watch("statement", sql), self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def fetch_one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        async with self._watch("statement", sql), self.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def fetch_value(self, sql: str, params: Params = None) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else next(iter(row.values()))

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self.fetch_value("SELECT 1") == 1
        except (DatabaseUnavailable, TimeoutError):
            return False


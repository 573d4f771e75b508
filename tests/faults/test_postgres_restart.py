"""PostgreSQL restarted in the middle of a stream of writes: nothing is lost and nothing is doubled.

A server of its own (the embedded PostgreSQL in a temporary folder, so the session's server is untouched):
the owner adds one rope per message while the server is stopped and started again under the writes. Writes
that fail while it is down fail cleanly (an error, no half-written state); the gateway's redelivery (the same
Discord message ids, as after a reconnect) then completes them, and each message is applied exactly once.
Slow part (`make test-faults`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from dm.table import PlayerMessage, Table
from faults.fault_helpers import record_output
from game.effects import GameState
from persistence import migrator
from persistence.database import Database
from persistence.embedded import EmbeddedPostgres
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id
from dm_party import brakka_and_mira  # noqa: E402 - tests/integration, put on sys.path by fault_helpers

pytestmark = pytest.mark.faults
OWNER, MESSAGES, BASE = 1, 40, 720_000


def _rope(state: dict[str, Any]) -> int:
    items = GameState.from_dict(state).characters["brakka"].inventory.items
    return sum(i.quantity for i in items if i.name.lower() == "rope")


async def test_a_postgres_restart_mid_write_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    uri = await asyncio.to_thread(server.start)
    db = Database(uri, max_size=4, timeout_s=10)
    await db.open()
    try:
        await migrator.upgrade(db)
        repo = PlayStateRepository(db)
        campaign = await repo.create_campaign("Restart Keep")
        channel = console_channel_id(campaign.id)
        await repo.bind_channel(campaign.id, channel)
        await repo.save(campaign.id, expected_version=0, before={},
                        after=GameState(characters=brakka_and_mira()).to_dict())  # fmt: skip
        messages = [PlayerMessage(channel, BASE + i, OWNER, "dm", "!add_item @Brakka rope") for i in range(MESSAGES)]
        failures: list[str] = []

        async def writer() -> None:
            table = Table(store=repo, messages=MessageLog(db), owner_id=OWNER, seed=1)
            for message in messages:
                try:
                    await table.handle(message)
                except Exception as exc:  # noqa: BLE001 - the database is down: the gateway would redeliver
                    failures.append(type(exc).__name__)
                    table = Table(store=repo, messages=MessageLog(db), owner_id=OWNER, seed=1)
                await asyncio.sleep(0.05)

        async def restarter() -> None:
            await asyncio.sleep(0.6)
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(1.0)
            await asyncio.to_thread(server.start)

        await asyncio.gather(writer(), restarter())
        record_output("pg-restart", f"failures while down: {failures}")
        assert failures, "the restart landed after the writes: the test proved nothing"

        for _ in range(5):  # redelivery rounds (a broken pooled connection may fail one more call)
            table = Table(store=repo, messages=MessageLog(db), owner_id=OWNER, seed=1)
            left = 0
            for message in messages:
                try:
                    await table.handle(message)
                except Exception:  # noqa: BLE001
                    left += 1
            if not left:
                break
        loaded = await repo.load(campaign.id)
        assert _rope(loaded.state) == MESSAGES  # each message applied once: none lost, none doubled
        rows = await db.fetch_all("SELECT processed FROM message_history WHERE channel_id = %s", (channel,))
        assert len(rows) == MESSAGES and all(r["processed"] for r in rows)
    finally:
        await db.close()
        await asyncio.to_thread(server.stop)

"""Fixtures for the integration tests (see tests/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SRD_PDF = Path(__file__).resolve().parents[2] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"


@pytest.fixture
async def rules(db: Any) -> Any:
    """A `RulesBook` over the session database, with the shipped SRD imported once if empty."""
    from ingest.srd.service import import_srd
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    repo = SrdRepository(db)
    if (await repo.counts()).get("spells", 0) == 0:
        await import_srd(db, SRD_PDF)
    return RulesBook(repo)


@pytest.fixture
async def console(clean_db: Any, rules: Any) -> Any:
    """A `ConsoleGame` on a real Table: campaign "Test Keep" bound to its console channel, dice seeded,
    the player "dm" as owner."""
    from dm.table import Table
    from gateway.console import ConsoleGame
    from persistence.messages import MessageLog
    from persistence.play_state import PlayStateRepository, console_channel_id

    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Test Keep")
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    table = Table(store=repo, messages=MessageLog(clean_db), rules=rules, seed=7)
    return ConsoleGame(table, channel, owner="dm")

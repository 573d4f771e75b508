"""What `lorekeeper play` and `play --ray` both need: the shipped data's paths, the SRD and the campaign made
ready in the database, and the lines typed at the console."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_SRD_PDF", "REPO_ROOT", "SAMPLE_CAMPAIGN", "SAMPLE_CAMPAIGN_PDF", "load_rules", "open_campaign",
           "stdin_lines"]

REPO_ROOT = Path(__file__).resolve().parents[2]  # gateway.settings.REPO_ROOT without loading pydantic for --help
DEFAULT_SRD_PDF = REPO_ROOT / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
SAMPLE_CAMPAIGN_PDF = REPO_ROOT / "data" / "campaigns" / "the-drowned-lantern.pdf"
SAMPLE_CAMPAIGN = SAMPLE_CAMPAIGN_PDF.stem


async def stdin_lines() -> AsyncIterator[str]:
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = await asyncio.to_thread(input, "> ") if interactive else await asyncio.to_thread(sys.stdin.readline)
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line


async def load_rules(db: Any, enabled: bool) -> Any:
    if not enabled:
        return None
    from ingest.srd.service import ensure_srd
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    await ensure_srd(db, DEFAULT_SRD_PDF, announce=lambda: print(
        "Importing the SRD 5.1 rules into the database (first run only, a few seconds)...", flush=True))
    return RulesBook(SrdRepository(db))


async def open_campaign(db: Any, name: str | None) -> Any:
    from persistence.errors import UnknownCampaign
    from persistence.play_state import PlayStateRepository

    repo = PlayStateRepository(db)
    found = await repo.find_campaign(name or SAMPLE_CAMPAIGN)
    if found is not None:
        return found
    if name is not None and name.lower() != SAMPLE_CAMPAIGN:
        raise UnknownCampaign(name, await repo.campaign_names())
    from ingest.campaign.service import import_campaign_pdf

    print("Importing the sample adventure, The Drowned Lantern (first run only)...", flush=True)
    await import_campaign_pdf(db, SAMPLE_CAMPAIGN_PDF, SAMPLE_CAMPAIGN)
    found = await repo.find_campaign(SAMPLE_CAMPAIGN)
    assert found is not None
    return found

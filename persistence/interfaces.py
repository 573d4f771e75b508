"""The storage contracts `dm/` programs against (STYLE.md: dm sees Protocols, not SQL).

The concrete classes live beside this module — `rules_book.RulesBook`, `retrieval.CampaignRetriever`,
`messages.MessageLog`, `play_state.PlayStateRepository` — and `ingest.embedder` (`Embedder`,
`QueryCache`) embeds the queries `CampaignSearch` takes; a test checks that each satisfies its Protocol.
The value types those Protocols pass around live here too, so `dm/` can name them without importing a
concrete module; the concrete modules import them from here and re-export them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CampaignRef", "CampaignSearch", "CampaignWorld", "LoadedState", "MessageStore", "PlayStore", "QueryEmbedder",
    "Recorded", "RetrievedChunk", "RulesMatch", "RulesSource", "Scene", "SearchHit", "StoredMessage", "TurnRecord",
    "WorldLocation", "WorldNpc", "WorldSource",
    "CampaignBuilderStore", "NewCampaign", "OutlineLink", "OutlineNpc", "OutlinePlace", "OutlineThread",
    "StoryLine", "WorldOutline",
    "CanonFact", "CanonStore",
    "HistoryLine", "HistoryStore", "TurnSummary",
]  # fmt: skip


# --- value types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesMatch:
    kind: str
    name: str
    record: dict[str, Any]
    exact: bool
    score: float
    variant: str | None = None  # "+2" when the name asked for one variant of "Weapon, +1, +2, or +3"
    alternatives: tuple[str, ...] = ()  # a guess (not exact): the other names it could have meant


@dataclass(frozen=True)
class SearchHit:
    kind: str
    name: str
    score: float
    snippet: str = ""
    path: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scene:
    """Where the party is: a location (name or map key), NPCs present, active plot threads."""

    location: str | None = None
    npcs: tuple[str, ...] = ()
    plot_threads: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrievedChunk:
    id: int
    heading_path: tuple[str, ...]
    page: int
    kind: str
    tags: tuple[str, ...]
    text: str
    score: float
    reasons: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"chunk_id": self.id, "heading_path": list(self.heading_path), "page": self.page, "kind": self.kind,
                "tags": list(self.tags), "score": round(self.score, 6), "reasons": list(self.reasons),
                "text": self.text}


@dataclass(frozen=True)
class StoredMessage:
    id: int
    campaign_id: int | None
    channel_id: int
    discord_message_id: int
    author_id: int
    author_name: str
    content: str
    is_command: bool
    from_dm: bool
    processed: bool
    turn_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What `record` did: `new` is False for a message seen before; `reply` replays its answer
    (a DM turn's text) and `result` a command's stored result."""

    message: StoredMessage
    new: bool
    reply: str | None = None
    result: dict[str, Any] | None = None
    bound: tuple[int, int] | None = None  # (campaign id, state version) bound to the channel as it was recorded


@dataclass(frozen=True)
class TurnRecord:
    """One DM turn, as the fine-tuning log keeps it."""

    prompt: list[dict[str, Any]]
    reply_text: str
    backend: str
    model: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    reply: dict[str, Any] | None = None
    effects: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    ttft_ms: int | None = None
    canon: tuple[CanonFact, ...] = ()  # facts the turn established, stored with it (persistence.canon)


@dataclass(frozen=True)
class CampaignRef:
    id: int
    name: str
    channel_id: int | None
    description: str = ""


@dataclass(frozen=True)
class LoadedState:
    """A campaign's state as `GameState.to_dict()` shapes it, and the version it was read at."""

    campaign: CampaignRef
    version: int
    state: dict[str, Any]


# --- protocols -----------------------------------------------------------------------------------


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
class QueryEmbedder(Protocol):
    """Sentence embeddings for retrieval queries (`CampaignSearch.search(embedding=...)`): one
    unit-length 384-d vector per text, in order; an empty list for no texts. Synchronous and
    CPU-bound: call it from a worker thread (`asyncio.to_thread`) inside a turn."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


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

    async def recent(self, channel_id: int, *, limit: int = 20, viewer: int | None = None) -> list[StoredMessage]:
        """The last messages, oldest first; private ones (a whisper) only for a `viewer` allowed to see them."""
        ...

    async def complete_turn(
        self, *, campaign_id: int, channel_id: int, message_ids: list[int], turn: TurnRecord
    ) -> int: ...


@runtime_checkable
class PlayStore(Protocol):
    """A campaign's play state: campaigns and their channels, the whole state loaded at a version,
    one turn's changes saved atomically with the command result or DM turn that made them."""

    async def find_campaign(self, name: str) -> CampaignRef | None: ...

    async def campaign_names(self) -> list[str]: ...

    async def campaign_for_channel(self, channel_id: int) -> CampaignRef | None: ...

    async def bind_channel(self, campaign_id: int, channel_id: int) -> CampaignRef: ...

    async def create_campaign(self, name: str, description: str = "") -> CampaignRef: ...

    async def load(self, campaign_id: int) -> LoadedState:
        """Raises `UnknownCampaign` for a campaign that does not exist."""
        ...

    async def player_names(self, campaign_id: int) -> dict[int, str]: ...

    async def version(self, campaign_id: int) -> int: ...

    async def save(
        self,
        campaign_id: int | None,
        *,
        expected_version: int,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        channel_id: int | None = None,
        message_ids: Sequence[int] = (),
        result: Mapping[str, Any] | None = None,
        turn: TurnRecord | None = None,
    ) -> int:
        """Raises `StaleState` (someone saved since `expected_version`) or `DuplicateMessage`; nothing written."""
        ...


# --- the extracted world, for the reader tier of the DM turn (dm.reader) ---------------------------


@dataclass(frozen=True)
class WorldLocation:
    """A place of the campaign as its import extracted it: the read-aloud `description`, the whole source
    passage `text` (DM notes included), its chapter, and the places it connects to (either direction)."""

    id: int
    name: str
    key: str | None = None
    description: str = ""
    text: str = ""
    chunk_id: int | None = None
    page: int | None = None
    chapter: str = ""
    connections: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorldNpc:
    """An NPC of the campaign: the write-up's public parts (never its secrets) and where it is found."""

    id: int
    name: str
    role: str = ""
    description: str = ""
    personality: str = ""
    knows: str = ""  # the write-up's "What She Knows." paragraph: what the NPC tells when asked
    location: str | None = None
    alive: bool = True
    chunk_id: int | None = None
    page: int | None = None


@dataclass(frozen=True)
class CampaignWorld:
    """One campaign's extracted world; `intros` maps a chapter to its opening passage's text."""

    campaign_id: int
    locations: tuple[WorldLocation, ...] = ()
    npcs: tuple[WorldNpc, ...] = ()
    intros: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.locations and not self.npcs


@runtime_checkable
class WorldSource(Protocol):
    """Read-only: a campaign's locations (with their passages and connections) and NPCs, by campaign id."""

    async def world(self, campaign_id: int) -> CampaignWorld: ...



# --- campaigns the storyteller writes (dm.commands.story; persistence.campaign_builder) -----------


@dataclass(frozen=True)
class OutlinePlace:
    name: str
    description: str = ""


@dataclass(frozen=True)
class OutlineLink:
    """A way between two places of the same outline, by name."""

    source: str
    target: str
    description: str = ""


@dataclass(frozen=True)
class OutlineNpc:
    """An NPC of an outline; `location` names one of its places (or None); `villain` marks an antagonist."""

    name: str
    role: str = ""
    description: str = ""
    personality: str = ""
    location: str | None = None
    villain: bool = False
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutlineThread:
    """A plot thread with the hooks that lead into it."""

    title: str
    summary: str = ""
    hooks: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorldOutline:
    """A campaign's world as rows: places and their links, NPCs, plot threads (read from an import, or written)."""

    places: tuple[OutlinePlace, ...] = ()
    links: tuple[OutlineLink, ...] = ()
    npcs: tuple[OutlineNpc, ...] = ()
    threads: tuple[OutlineThread, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.places or self.npcs or self.threads)


@dataclass(frozen=True)
class NewCampaign:
    """A campaign to create: its rows, the opening scene's place (the party starts there) and settings
    (premise, acts, villains, the opening text: JSONB)."""

    name: str
    description: str
    outline: WorldOutline
    opening_location: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryLine:
    """One line of a campaign's story so far: what the DM said (`dm`) or a player (`player`), oldest first."""

    source: str
    author: str
    text: str


@runtime_checkable
class CampaignBuilderStore(Protocol):
    """Writes a generated campaign as rows in one transaction and reads what the storyteller needs."""

    async def outline(self, campaign_id: int) -> WorldOutline:
        """The campaign's extracted world (empty when nothing was imported)."""
        ...

    async def build(self, campaign: NewCampaign, channel_id: int) -> CampaignRef:
        """Create the campaign with its rows and bind `channel_id` to it, all or nothing; a taken name
        gets a number ("Name (2)")."""
        ...

    async def story_so_far(self, campaign_id: int, limit: int = 40) -> tuple[StoryLine, ...]:
        """The latest DM replies and player lines of the campaign (at most `limit`), oldest first."""
        ...


# --- the canon ledger (dm.canon; persistence.canon) ----------------------------------------------


@dataclass(frozen=True)
class CanonFact:
    """One established fact of a campaign: `subject` `predicate` `object` ("Captain Morrow", "is_at",
    "the Salt Docks"). `source` says where it came from ("turn:12", "chunk:40"; "state" when derived)."""

    subject: str
    predicate: str
    object: str
    source: str = ""


@runtime_checkable
class CanonStore(Protocol):
    """A campaign's stored canon rows, one per (subject, predicate): a newer fact replaces the older one.
    A DM turn's facts are written with the turn (`TurnRecord.canon`, in `PlayStore.save`'s transaction)."""

    async def facts(self, campaign_id: int) -> list[CanonFact]: ...

    async def record(self, campaign_id: int, facts: Sequence[CanonFact], *, source: str = "") -> int: ...


# --- history: the story so far, for the DM's context (persistence.history) -------------------------


@dataclass(frozen=True)
class HistoryLine:
    """One line of a campaign's story: `kind` is "player" (plain talk a turn answered), "dm" (a turn's reply),
    "whisper" (a player's private word to the DM) or "whisper_reply" (the DM's private answer).
    `visible_to` is None for a public line, else the player ids who may see it."""

    kind: str
    author: str
    text: str
    at: datetime
    author_id: int | None = None
    turn_id: int | None = None
    visible_to: tuple[int, ...] | None = None

    @property
    def private(self) -> bool:
        return self.visible_to is not None


@dataclass(frozen=True)
class TurnSummary:
    """A rolling summary: the story of the campaign's first `turns` DM turns, through `through_turn_id`."""

    id: int
    campaign_id: int
    through_turn_id: int
    turns: int
    text: str
    created_at: datetime
    backend: str = ""
    model: str = ""


@runtime_checkable
class HistoryStore(Protocol):
    """The lines since a summary (private ones only for the players allowed to see them) and the summaries."""

    async def lines(self, campaign_id: int, *, viewer: int | None = None, after_turn_id: int = 0,
                    limit: int = 40) -> list[HistoryLine]:  # fmt: skip
        """The last `limit` lines after turn `after_turn_id`, oldest first; `viewer=None`: public lines only."""
        ...

    async def latest_summary(self, campaign_id: int) -> TurnSummary | None: ...

    async def turns_after(self, campaign_id: int, after_turn_id: int) -> list[int]: ...

    async def save_summary(self, campaign_id: int, *, through_turn_id: int, turns: int, text: str,
                           backend: str = "", model: str = "") -> TurnSummary: ...  # fmt: skip


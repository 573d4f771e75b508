"""`PersistenceActor`: one database pool shared by every session actor, and the proxies they talk through.

Fifty session actors with a pool each would exhaust PostgreSQL's connections; instead one actor owns the
pool and hosts the repositories (`PlayStateRepository`, `MessageLog`, history, canon, world, the SRD rules,
the campaign builder). A session's `Table` gets `PlayStoreProxy` and `MessageStoreProxy`, which implement
the `PlayStore` / `MessageStore` Protocols by forwarding each call to the actor; the other repositories are
reached through `RepositoryProxy`. Writes (a saved state, a completed turn, a summary, canon) are serialised
per campaign by a lock in the actor; exactly-once stays where it was, on the unique message id
(`record` ignores a redelivery, a second answer raises `DuplicateMessage` and writes nothing).

Errors cross the actor boundary as data (`_Failure`): our errors' constructors take other arguments than
their pickled `args`, so the proxy rebuilds the same class with the same attributes and raises it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import RayActorError, RayTaskError

from persistence.errors import DatabaseUnavailable, PersistenceError, RulesLookupError
from persistence.interfaces import CampaignRef, LoadedState, Recorded, StoredMessage, TurnRecord

__all__ = ["MessageStoreProxy", "PersistenceActor", "PlayStoreProxy", "RepositoryProxy"]

# (repository, method) → writes one campaign's rows: run one at a time per campaign
_WRITES = {("play", "save"), ("messages", "complete_turn"), ("history", "save_summary"), ("canon", "record")}


@dataclass(frozen=True)
class _Failure:
    cls: type[BaseException]
    message: str
    state: dict[str, Any]

    def rebuild(self) -> BaseException:
        exc = self.cls.__new__(self.cls)
        Exception.__init__(exc, self.message)
        exc.__dict__.update(self.state)
        return exc


def _repositories(db: Any) -> dict[str, Any]:
    from persistence.campaign_builder import CampaignBuilder
    from persistence.canon import CanonRepository
    from persistence.messages import MessageLog
    from persistence.play_state import PlayStateRepository
    from persistence.retrieval import CampaignRetriever
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository
    from persistence.world import WorldRepository

    messages = MessageLog(db)
    return {"play": PlayStateRepository(db), "messages": messages, "history": messages.history,
            "canon": CanonRepository(db), "world": WorldRepository(db), "builder": CampaignBuilder(db),
            "rules": RulesBook(SrdRepository(db)), "search": CampaignRetriever(db)}  # fmt: skip


@ray.remote(num_cpus=0.1, max_restarts=-1, max_task_retries=0)
class PersistenceActor:
    """Owns the pool (opened on the first call; the actor's event loop is not running in `__init__`)."""

    def __init__(self, conninfo: str, max_size: int = 8, timeout_s: float = 10.0) -> None:
        from gateway.observability import install_observers
        from persistence.database import Database

        install_observers()  # this process's database writes count (relayed by the gateway's exporter)
        self._db = Database(conninfo, max_size=max_size, timeout_s=timeout_s)
        self._repos: dict[str, Any] = {}
        self._open = asyncio.Lock()
        self._locks: dict[Any, asyncio.Lock] = {}

    async def _ready(self) -> None:
        async with self._open:
            if not self._repos:
                await self._db.open()
                self._repos = _repositories(self._db)

    async def call(self, repo: str, method: str, args: Sequence[Any] = (),
                   kwargs: Mapping[str, Any] | None = None) -> Any:  # fmt: skip
        """`repo.method(*args, **kwargs)`; our errors come back as a `_Failure` the proxy re-raises."""
        kwargs = dict(kwargs or {})
        try:
            await self._ready()
            fn = getattr(self._repos[repo], method)
            if (repo, method) not in _WRITES:
                return await fn(*args, **kwargs)
            key = kwargs.get("campaign_id", args[0] if args else None)
            key = key if key is not None else ("channel", kwargs.get("channel_id"))
            async with self._locks.setdefault(key, asyncio.Lock()):
                return await fn(*args, **kwargs)
        except (PersistenceError, RulesLookupError) as exc:
            return _Failure(type(exc), str(exc), dict(exc.__dict__))

    async def ping(self) -> bool:
        await self._ready()
        return await self._db.ping()

    async def metrics_text(self) -> dict[str, str]:
        """This process's metrics (database writes), for the gateway's /metrics (monitoring.relay)."""
        from monitoring.relay import offered

        return offered()


async def _forward(handle: Any, repo: str, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    try:
        result = await handle.call.remote(repo, method, tuple(args), dict(kwargs))
    except RayActorError:
        raise DatabaseUnavailable("the persistence actor is not running") from None
    except RayTaskError as exc:
        raise DatabaseUnavailable(f"the persistence actor failed: {type(exc.cause).__name__}") from None
    if isinstance(result, _Failure):
        raise result.rebuild()
    return result


class RepositoryProxy:
    """Any repository the actor hosts (`"history"`, `"canon"`, `"world"`, `"rules"`, ...): every attribute is
    an async method forwarded to it."""

    def __init__(self, handle: Any, repo: str) -> None:
        self._handle, self._repo = handle, repo

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        async def forward(*args: Any, **kwargs: Any) -> Any:
            return await _forward(self._handle, self._repo, method, args, kwargs)

        forward.__name__ = method
        return forward


class PlayStoreProxy:
    """`persistence.interfaces.PlayStore` over the actor."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await _forward(self._handle, "play", method, args, kwargs)

    async def find_campaign(self, name: str) -> CampaignRef | None:
        return await self._call("find_campaign", name)

    async def campaign_names(self) -> list[str]:
        return await self._call("campaign_names")

    async def campaign_for_channel(self, channel_id: int) -> CampaignRef | None:
        return await self._call("campaign_for_channel", channel_id)

    async def bind_channel(self, campaign_id: int, channel_id: int) -> CampaignRef:
        return await self._call("bind_channel", campaign_id, channel_id)

    async def create_campaign(self, name: str, description: str = "") -> CampaignRef:
        return await self._call("create_campaign", name, description)

    async def load(self, campaign_id: int) -> LoadedState:
        return await self._call("load", campaign_id)

    async def player_names(self, campaign_id: int) -> dict[int, str]:
        return await self._call("player_names", campaign_id)

    async def version(self, campaign_id: int) -> int:
        return await self._call("version", campaign_id)

    async def save(self, campaign_id: int | None, *, expected_version: int, before: Mapping[str, Any],
                   after: Mapping[str, Any], channel_id: int | None = None, message_ids: Sequence[int] = (),
                   result: Mapping[str, Any] | None = None, turn: TurnRecord | None = None) -> int:  # fmt: skip
        return await self._call("save", campaign_id, expected_version=expected_version, before=dict(before),
                                after=dict(after), channel_id=channel_id, message_ids=list(message_ids),
                                result=None if result is None else dict(result), turn=turn)  # fmt: skip


class MessageStoreProxy:
    """`persistence.interfaces.MessageStore` over the actor; `history` reads the same rows as the story."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.history = RepositoryProxy(handle, "history")

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await _forward(self._handle, "messages", method, args, kwargs)

    async def record(self, *, channel_id: int, message_id: int, author_id: int, content: str, author_name: str = "",
                     is_command: bool = False, from_dm: bool = False, campaign_id: int | None = None) -> Recorded:
        return await self._call("record", channel_id=channel_id, message_id=message_id, author_id=author_id,
                                content=content, author_name=author_name, is_command=is_command, from_dm=from_dm,
                                campaign_id=campaign_id)  # fmt: skip

    async def get(self, message_id: int) -> StoredMessage | None:
        return await self._call("get", message_id)

    async def pending(self, channel_id: int, *, limit: int = 50) -> list[StoredMessage]:
        return await self._call("pending", channel_id, limit=limit)

    async def recent(self, channel_id: int, *, limit: int = 20, viewer: int | None = None) -> list[StoredMessage]:
        return await self._call("recent", channel_id, limit=limit, viewer=viewer)

    async def last_seen(self, channel_id: int) -> dict[int, Any]:
        return await self._call("last_seen", channel_id)

    async def complete_turn(self, *, campaign_id: int, channel_id: int, message_ids: list[int],
                            turn: TurnRecord) -> int:  # fmt: skip
        return await self._call("complete_turn", campaign_id=campaign_id, channel_id=channel_id,
                                message_ids=list(message_ids), turn=turn)  # fmt: skip

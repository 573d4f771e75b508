"""The concrete classes satisfy the Protocols `dm/` programs against, signature by signature.

Every Protocol in `persistence.interfaces` must be listed here with its concrete class(es): a new
Protocol without one fails `test_every_protocol_is_pinned`.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import persistence.interfaces as interfaces
from ingest.embedder import Embedder, QueryCache
from persistence.campaign_builder import CampaignBuilder
from persistence.canon import CanonRepository
from persistence.history import HistoryRepository
from persistence.interfaces import (CampaignBuilderStore, CampaignSearch, CanonStore, HistoryStore, MessageStore,
                                    PlayStore, QueryEmbedder, RulesSource, WorldSource)
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository
from persistence.retrieval import CampaignRetriever
from persistence.rules_book import RulesBook
from persistence.world import WorldRepository

PINNED: list[tuple[type, type]] = [
    (RulesSource, RulesBook),
    (CampaignSearch, CampaignRetriever),
    (MessageStore, MessageLog),
    (PlayStore, PlayStateRepository),
    (QueryEmbedder, Embedder),
    (QueryEmbedder, QueryCache),
    (WorldSource, WorldRepository),
    (HistoryStore, HistoryRepository),
    (CanonStore, CanonRepository),
    (CampaignBuilderStore, CampaignBuilder),
]


def _protocols() -> set[type]:
    return {value for value in vars(interfaces).values()
            if isinstance(value, type) and getattr(value, "_is_protocol", False) and value.__module__ == interfaces.__name__}


def _methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if not name.startswith("_") and inspect.isfunction(value)]


def test_every_protocol_is_pinned() -> None:
    protocols = _protocols()
    assert {RulesSource, CampaignSearch, MessageStore, PlayStore, QueryEmbedder} <= protocols
    assert protocols == {protocol for protocol, _ in PINNED}, "pin each Protocol in persistence.interfaces below"


@pytest.mark.parametrize(("protocol", "concrete"), PINNED, ids=lambda v: v.__name__)
def test_concrete_class_matches_its_protocol(protocol: type, concrete: type) -> None:
    members = _methods(protocol)
    assert members, "a protocol with no methods checks nothing"
    for name in members:
        wanted_method = getattr(protocol, name)
        implementation = getattr(concrete, name, None)
        assert callable(implementation), f"{concrete.__name__} has no {name}"
        is_async = inspect.iscoroutinefunction(wanted_method)
        assert inspect.iscoroutinefunction(implementation) == is_async, (
            f"{concrete.__name__}.{name} must be {'async' if is_async else 'a plain method'}"
        )
        wanted = inspect.signature(wanted_method).parameters
        actual = inspect.signature(implementation).parameters
        assert list(actual)[: len(wanted)] == list(wanted), f"{concrete.__name__}.{name}{list(actual)} != {list(wanted)}"
        for param in wanted.values():  # same kind (keyword-only stays keyword-only), same default
            got = actual[param.name]
            assert got.kind == param.kind, f"{concrete.__name__}.{name}: {param.name} is {got.kind}, not {param.kind}"
            assert got.default == param.default, f"{concrete.__name__}.{name}: {param.name}={got.default!r}"
        extra = [p for p in list(actual.values())[len(wanted):] if p.default is inspect.Parameter.empty
                 and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
        assert extra == [], f"{concrete.__name__}.{name} requires {[p.name for p in extra]} the Protocol does not pass"


def test_the_embedders_pass_the_runtime_check(tmp_path: Path) -> None:
    embedder = Embedder(tmp_path)  # nothing loads until the first embed
    assert isinstance(embedder, QueryEmbedder)
    assert isinstance(QueryCache(tmp_path / "cache", embedder), QueryEmbedder)
    assert embedder.embed([]) == []
    assert not isinstance(object(), QueryEmbedder)


def test_the_value_types_are_the_ones_the_concrete_modules_return() -> None:
    """The concrete modules re-export the moved value types: one class each, not a copy."""
    import persistence.messages as messages
    import persistence.play_state as play_state
    import persistence.retrieval as retrieval
    import persistence.rules_book as rules_book

    for module, names in [(retrieval, ("Scene", "RetrievedChunk")), (rules_book, ("RulesMatch", "SearchHit")),
                          (messages, ("Recorded", "StoredMessage", "TurnRecord")),
                          (play_state, ("CampaignRef", "LoadedState"))]:
        for name in names:
            assert getattr(module, name) is getattr(interfaces, name), f"{module.__name__}.{name} is a copy"
            assert name in module.__all__ and name in interfaces.__all__

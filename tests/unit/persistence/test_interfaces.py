"""The concrete storage classes satisfy the Protocols `dm/` programs against, signature by signature."""

from __future__ import annotations

import inspect

import pytest

from persistence.interfaces import CampaignSearch, MessageStore, RulesSource
from persistence.messages import MessageLog
from persistence.retrieval import CampaignRetriever
from persistence.rules_book import RulesBook


@pytest.mark.parametrize(
    ("protocol", "concrete"),
    [(RulesSource, RulesBook), (CampaignSearch, CampaignRetriever), (MessageStore, MessageLog)],
)
def test_concrete_class_matches_its_protocol(protocol: type, concrete: type) -> None:
    members = [name for name, value in vars(protocol).items() if inspect.iscoroutinefunction(value)]
    assert members, "a protocol with no methods checks nothing"
    for name in members:
        implementation = getattr(concrete, name, None)
        assert inspect.iscoroutinefunction(implementation), f"{concrete.__name__}.{name} must be async"
        wanted = list(inspect.signature(getattr(protocol, name)).parameters)
        actual = list(inspect.signature(implementation).parameters)
        assert actual[: len(wanted)] == wanted, f"{concrete.__name__}.{name}{actual} != {wanted}"

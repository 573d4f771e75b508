"""The persistence actor's proxies without Ray: they implement the storage Protocols the table uses, and our
errors cross the actor boundary as data and come back as the same class with the same attributes (their
constructors do not take their pickled `args`, so plain pickling would fail to rebuild them)."""

from __future__ import annotations

import pickle
from pathlib import Path

import yaml

from actors.persistence import MessageStoreProxy, PlayStoreProxy, RepositoryProxy, _Failure
from actors.session import SESSION_CPUS
from persistence.errors import DuplicateMessage, StaleState, UnknownRulesEntry
from persistence.interfaces import MessageStore, PlayStore

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_the_proxies_implement_the_storage_protocols() -> None:
    assert isinstance(PlayStoreProxy(object()), PlayStore)
    assert isinstance(MessageStoreProxy(object()), MessageStore)
    assert isinstance(MessageStoreProxy(object()).history, RepositoryProxy)


def test_a_failure_rebuilds_the_same_error_after_pickling() -> None:
    for exc in (StaleState(4, 17), DuplicateMessage(9001), UnknownRulesEntry("spells", "firebal", ["Fireball"])):
        failure = pickle.loads(pickle.dumps(_Failure(type(exc), str(exc), dict(exc.__dict__))))
        rebuilt = failure.rebuild()
        assert type(rebuilt) is type(exc) and str(rebuilt) == str(exc)
        assert rebuilt.__dict__ == exc.__dict__ and rebuilt.user_message == exc.user_message
    try:
        pickle.loads(pickle.dumps(StaleState(4, 17)))
    except TypeError:
        pass  # why `_Failure` exists
    else:
        raise AssertionError("StaleState pickles by itself now: _Failure may be unnecessary")


def test_fifty_sessions_fit_half_of_the_head_nodes_cpus() -> None:
    cluster = yaml.safe_load((REPO_ROOT / "ray_cluster.yaml").read_text())
    head = cluster["available_node_types"][cluster["head_node_type"]]["resources"]
    assert head["GPU"] == 1
    assert 50 * SESSION_CPUS <= head["CPU"] / 2

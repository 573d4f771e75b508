"""dm.session's timers and bookkeeping on a manual clock, without a database (the table is never reached
by these paths; tests/integration/test_session.py drives whole turns on the real PostgreSQL)."""

from __future__ import annotations

import pytest

from dm.session import ManualClock, Session, SessionConfig
from dm.table import PlayerMessage, Table
from game.creation import create_character, standard_array
from game.effects import GameState

CHANNEL = -5


def _session(clock: ManualClock, **config: float) -> Session:
    table = Table(store=None, messages=None)  # type: ignore[arg-type]
    return Session(table, CHANNEL, config=SessionConfig(**config), clock=clock)


def _message(message_id: int, author: int = 31, text: str = "I look around.") -> PlayerMessage:
    return PlayerMessage(CHANNEL, message_id, author, f"p{author}", text)


def _state(*players: int) -> GameState:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    heroes = {}
    for n, player in enumerate(players):
        hero = create_character(f"Hero{n}", "human", "fighter", scores, ["athletics", "perception"], player_id=player)
        hero.id = f"hero{n}"
        heroes[hero.id] = hero
    return GameState(characters=heroes)


def test_the_manual_clock_moves_only_forward_and_only_when_told() -> None:
    clock = ManualClock()
    clock.advance(2.5)
    clock.advance(-10)
    assert clock.now() == 2.5


def test_a_batch_closes_after_the_quiet_window_not_before() -> None:
    clock = ManualClock()
    session = _session(clock, batch_window_s=4.0)
    session._join(_message(1), clock.now())
    clock.advance(1.0)
    session._join(_message(2, 32), clock.now())
    clock.advance(3.9)
    assert not session._due(clock.now())
    clock.advance(0.1)
    assert session._due(clock.now())


def test_a_batch_is_capped_however_chatty_the_table() -> None:
    clock = ManualClock()
    session = _session(clock, batch_window_s=4.0, batch_cap_s=15.0)
    for n in range(5):
        session._join(_message(n), clock.now())
        clock.advance(3.0)
        assert n == 4 or not session._due(clock.now())
    assert session._due(clock.now())  # 15 s after it opened, 3 s after the last line


def test_a_closed_batch_is_in_message_id_order_and_status_counts_it() -> None:
    clock = ManualClock()
    session = _session(clock)
    for message_id in (30, 10, 20):
        session._join(_message(message_id), clock.now())
    session._join(_message(20), clock.now())  # the same message twice is kept once
    assert session.status()["open_batch"] == 3
    session._close()
    assert [m.message_id for m in session._queued[0]] == [10, 20, 30]
    status = session.status()
    assert (status["open_batch"], status["queued_batches"], status["pending"], status["in_flight"]) == (0, 1, 3, 0)


def test_a_full_batch_closes_at_max_batch() -> None:
    clock = ManualClock()
    session = _session(clock, max_batch=3)
    for n in range(4):
        session._join(_message(n), clock.now())
    assert [len(b) for b in session._queued] == [3] and session.status()["open_batch"] == 1


def test_active_players_have_a_character_and_spoke_lately() -> None:
    clock = ManualClock()
    session = _session(clock, active_window_s=600.0)
    session._spoke = {31: 0.0, 32: 500.0, 33: 500.0}  # 33 has no character
    clock.advance(700.0)
    assert session.active_players(_state(31, 32)) == {32}
    assert session.active_players(None) == set()


async def test_a_message_seen_before_is_a_redelivery() -> None:
    session = _session(ManualClock())
    assert session._remember(7) is False
    assert session._remember(7) is True
    assert await session.receive(_message(7)) == []


async def test_a_message_for_another_channel_is_refused() -> None:
    session = _session(ManualClock())
    with pytest.raises(ValueError, match="channel"):
        await session.receive(PlayerMessage(CHANNEL + 1, 1, 31, "p31", "hi"))

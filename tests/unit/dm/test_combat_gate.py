"""The combat gate, pure: what a message is in a fight, whose turn it is, the denial, the turn pass, the clocks."""

from __future__ import annotations

import pytest

from dm.combat_gate import (ClockEvent, MessageKind, RecapClock, TurnClock, classify, decide, denial_text,
                            is_question, pass_turn, whose_turn)
from fights import goblin_first
from game.creation import create_character, standard_array
from game.effects import Creature, GameState

BRAKKA, MIRA, WATCHER = 31, 32, 99


def _state(turn: str | None = "brakka", goblin_dead: bool = False) -> GameState:
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    brakka = create_character("Brakka", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=BRAKKA)
    mira = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf",
                            player_id=MIRA)  # fmt: skip
    goblin = Creature(id="goblin-1", name="Goblin", hp=0 if goblin_dead else 7, max_hp=7, armor_class=15,
                      dexterity=14, dead=goblin_dead)  # fmt: skip
    combat = goblin_first(turn)
    return GameState(characters={"brakka": brakka, "mira": mira}, creatures={"goblin-1": goblin}, combat=combat)


@pytest.mark.parametrize("text", [
    "What is the goblin's AC?", "how far can I move", "Can I see the door from here?", "Is the goblin hurt?",
    "Do I still have my rope? What about the torch?", "where are we", "Mira, are you alright?",
])  # fmt: skip
def test_questions_are_questions(text: str) -> None:
    assert is_question(text)
    assert classify(text) is MessageKind.QUESTION


@pytest.mark.parametrize("text", [
    "I swing my axe at the goblin!", "I attack the goblin. Does it hit?", "Brakka charges", "Have at you, beast!",
    "I cast magic missile at the goblin.", "",
])  # fmt: skip
def test_actions_are_not_questions(text: str) -> None:
    assert not is_question(text)


def test_commands_are_the_tables() -> None:
    assert classify("!attack goblin") is MessageKind.COMMAND
    assert decide(_state(), MIRA, "!attack goblin").kind is MessageKind.COMMAND


def test_out_of_combat_everything_is_talk() -> None:
    assert decide(_state(turn=None), MIRA, "I open the door").kind is MessageKind.TALK
    assert decide(_state(turn=None), MIRA, "What is behind the door?").kind is MessageKind.TALK


def test_the_current_player_acts_others_are_denied_anyone_asks() -> None:
    state = _state("brakka")
    assert decide(state, BRAKKA, "I hit the goblin").kind is MessageKind.ACTION
    assert decide(state, BRAKKA, "I hit the goblin").actor == "brakka"
    assert decide(state, MIRA, "I cast a spell").kind is MessageKind.DENY
    assert decide(state, WATCHER, "I throw a rock").kind is MessageKind.DENY
    assert decide(state, MIRA, "How many slots do I have left?").kind is MessageKind.QUESTION
    assert decide(_state("goblin-1"), BRAKKA, "I hit the goblin").kind is MessageKind.DENY


def test_whose_turn_names_creatures_and_players() -> None:
    assert whose_turn(_state(turn=None)) is None
    goblin = whose_turn(_state("goblin-1"))
    assert goblin is not None and goblin.is_creature and goblin.name == "Goblin"
    mira = whose_turn(_state("mira"))
    assert mira is not None and mira.player_id == MIRA and not mira.is_creature


def test_the_denial_names_whose_turn_and_the_order() -> None:
    text = denial_text(_state("brakka"), MIRA)
    assert "Mira" in text and "Brakka's turn" in text
    assert "Goblin (15), Brakka (12) ← now, Mira (8)" in text
    assert "Nothing happened" in text
    assert "no one in it" in denial_text(_state("brakka"), WATCHER, "Pat")


def test_pass_turn_advances_only_the_current_combatant() -> None:
    state = _state("brakka")
    after, entries = pass_turn(state, "brakka")
    assert whose_turn(after).id == "mira" and entries[0]["kind"] == "turn_advance"
    same, none = pass_turn(after, "brakka")  # already passed (the model's own turn_advance): nothing more
    assert same is after and none == []


def test_pass_turn_skips_the_dead_and_counts_rounds() -> None:
    after, _ = pass_turn(_state("mira", goblin_dead=True), "mira")
    turn = whose_turn(after)
    assert turn.id == "brakka" and turn.round == 2


def test_the_clock_nudges_then_dodges_once_and_restarts_when_the_turn_passes() -> None:
    state, clock = _state("brakka"), TurnClock(timeout_s=10)
    assert clock.check(state, 0.0) is None
    assert clock.check(state, 9.9) is None
    assert clock.check(state, 10.0) is ClockEvent.NUDGE
    assert clock.check(state, 15.0) is None
    assert clock.check(state, 20.0) is ClockEvent.DODGE
    assert clock.check(state, 40.0) is None  # once per turn
    passed, _ = pass_turn(state, "brakka")
    assert clock.check(passed, 41.0) is None and clock.check(passed, 51.0) is ClockEvent.NUDGE


def test_the_clock_waits_for_a_present_player_and_never_for_a_creature() -> None:
    state, clock = _state("brakka"), TurnClock(timeout_s=10)
    clock.check(state, 0.0)
    assert clock.check(state, 10.0) is ClockEvent.NUDGE
    clock.touch(state, BRAKKA, 12.0)  # Brakka asks something: present
    assert clock.check(state, 20.0) is None and clock.check(state, 22.0) is ClockEvent.NUDGE
    clock.touch(state, MIRA, 23.0)  # someone else speaking does not stop Brakka's clock
    assert clock.check(state, 32.0) is ClockEvent.DODGE
    goblin = TurnClock(timeout_s=10)
    assert goblin.check(_state("goblin-1"), 0.0) is None and goblin.check(_state("goblin-1"), 100.0) is None


def test_the_recap_clock_greets_a_player_back_after_a_long_gap() -> None:
    clock = RecapClock(gap_s=3600)
    assert not clock.returning(MIRA, 0.0)  # first seen: nothing to recap for them
    assert not clock.returning(MIRA, 3000.0)
    assert clock.returning(MIRA, 6601.0)
    assert not clock.returning(MIRA, 6602.0)

"""dm.replay's pure judging: numbers not from the engine, question endings, comparing without a logged state."""

from __future__ import annotations

import json
from typing import Any

from dm.replay import LoggedTurn, compare, ends_on_question, judge, stray_numbers
from game.effects import Creature, GameState


def _answer(narrative: str, *effects: dict[str, Any]) -> str:
    return json.dumps({"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": list(effects)})


def test_numbers_the_engine_or_the_module_gave_are_not_stray() -> None:
    engine = "Goblin takes 5 slashing damage (7 → 2 HP)."
    assert stray_numbers("The goblin reels from 5 wounds and 2 more.", engine) == []
    assert stray_numbers("It has 12 HP left, 1976-02-30.", engine) == ["12", "1976", "02", "30"]
    assert stray_numbers("The door is 10 feet high.", engine, quoted=["a 10 feet high door"]) == []
    assert stray_numbers("1.2", "") == ["1.2"]


def test_a_closing_question_to_the_players_is_flagged_but_an_npc_asking_is_not() -> None:
    assert ends_on_question("The hall is quiet. What do you do next?")
    assert ends_on_question("The hall is quiet. Will you open the door?")
    assert not ends_on_question('The innkeeper squints. "Who sent you?"')
    assert not ends_on_question("The hall is quiet.")


def test_without_a_logged_state_the_proposed_kinds_and_targets_are_compared() -> None:
    row = {"id": 9, "backend": "scripted", "reply": {"narrative": "x"},
           "prompt": [{"role": "user", "content": "hi"},
                      {"role": "assistant", "content": _answer("Rain.", {"kind": "condition_set", "target": "mira",
                                                                         "condition": "prone"})}],
           "effects": [{"kind": "condition_set", "target": "mira", "accepted": True, "summary": "Prone."}]}  # fmt: skip
    turn = LoggedTurn.from_row(row)
    assert turn.request() == [{"role": "user", "content": "hi"}] and turn.state_before() is None
    same = compare(turn, _answer("Rain again.", {"kind": "condition_set", "target": "mira", "condition": "prone"}))
    assert same.same and same.logged.accepted == (("condition_set", "mira"),) and not same.new.judged
    other = compare(turn, _answer("Rain.", {"kind": "hp_change", "target": "mira", "amount": -1}))
    assert other.changes == ("proposed: -condition_set(mira) +hp_change(mira)",)


def test_a_logged_state_is_judged_by_todays_engine() -> None:
    state = GameState(creatures={"rat": Creature(id="rat", name="Rat", hp=1, max_hp=1)})
    verdict = judge(_answer("The rat squeaks.", {"kind": "hp_change", "target": "rat", "amount": -1},
                            {"kind": "hp_change", "target": "ghost", "amount": -1}), state)  # fmt: skip
    assert verdict.judged and verdict.accepted == (("hp_change", "rat"),)
    assert verdict.refused == (("hp_change", "ghost"),)
    assert not judge("{not json", state).parsed and judge(None).problem == "no reply"

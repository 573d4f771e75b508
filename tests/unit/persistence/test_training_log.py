"""The row → fine-tuning example conversion of `persistence.training_log`, and the CLI's argument checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.cli import build_parser
from persistence.training_log import count_effects, to_example

PROMPT = [{"content": "You are the DM.", "role": "system"}, {"content": "I open the door.", "role": "user"}]
REPLY = {"rolls": [], "effects": [{"kind": "hp_change", "target": "mira", "amount": -2}],  # jsonb's key order
         "narrative": "A dart flies from the frame — ouch.", "rule_lookups": []}
OUTCOMES = [{"index": 0, "kind": "hp_change", "accepted": True, "summary": "Mira takes 2"},
            {"index": 1, "kind": "item_add", "accepted": False, "summary": "refused", "reason": "unknown item"},
            {"effect": {"kind": "summon_dragon"}, "reason": "unknown effect kind 'summon_dragon'"}]


def _row(**changes: object) -> dict:
    return {"id": 41, "campaign": "Lantern", "prompt": PROMPT, "reply": REPLY, "effects": OUTCOMES,
            "backend": "vllm", "model": "llama-8b", "created_at": datetime(2026, 12, 1, 20, 5, 3, tzinfo=UTC),
            **changes}


def test_a_turn_becomes_prompt_messages_then_the_reply_as_the_assistant() -> None:
    example = to_example(_row(), key_order=("narrative", "rolls", "rule_lookups", "effects"))
    messages = example["messages"]
    assert messages[:2] == [{"role": "system", "content": "You are the DM."},
                            {"role": "user", "content": "I open the door."}]
    assert messages[2]["role"] == "assistant" and len(messages) == 3
    assert json.loads(messages[2]["content"]) == REPLY
    assert list(json.loads(messages[2]["content"])) == ["narrative", "rolls", "rule_lookups", "effects"]
    assert "—" in messages[2]["content"]  # not \u-escaped
    assert example["metadata"] == {
        "campaign": "Lantern", "turn_id": 41, "backend": "vllm", "model": "llama-8b",
        "created_at": "2026-12-01T20:05:03+00:00", "tier": "full", "accepted_effects": 1, "refused_effects": 2,
        "effects": {"accepted": [{"kind": "hp_change", "target": "", "summary": "Mira takes 2"}],
                    "refused": [{"kind": "item_add", "target": "", "summary": "refused", "reason": "unknown item"},
                                {"kind": "summon_dragon", "target": "", "summary": "",
                                 "reason": "unknown effect kind 'summon_dragon'"}]},
        "prompt_tokens": 0, "completion_tokens": 0, "latency_ms": 0, "context": {},
    }  # fmt: skip
    json.dumps(example)  # JSON-ready as it is


SYSTEM = {"role": "system", "content": "You are the DM."}
USER = {"role": "user", "content": "bob (playing Brakka): I look around."}


def test_the_final_answer_logged_in_the_prompt_is_the_target_once() -> None:
    answer = {"narrative": "Gulls wheel.", "rolls": [], "rule_lookups": [], "effects": []}
    row = {"id": 1, "prompt": [SYSTEM, USER, {"role": "assistant", "content": json.dumps(answer)}],
           "reply": answer, "effects": [], "backend": "vllm", "context": {"state_before": {"x": 1}, "chunks": [3]},
           "latency_ms": 900, "prompt_tokens": 50, "completion_tokens": 9}  # fmt: skip
    example = to_example(row, key_order=("narrative", "rolls", "rule_lookups", "effects"))
    assert example is not None
    assert example["messages"][:2] == [SYSTEM, USER] and len(example["messages"]) == 3
    assert json.loads(example["messages"][2]["content"]) == answer
    meta = example["metadata"]
    assert meta["tier"] == "full" and meta["latency_ms"] == 900 and meta["context"] == {"chunks": [3]}


def test_a_reader_tier_turn_trains_on_the_pick_the_model_wrote() -> None:
    pick = {"intent": "move", "location": "Old Lighthouse", "npc": "none", "passage": "go to Old Lighthouse",
            "link": ""}  # fmt: skip
    row = {"id": 2, "prompt": [SYSTEM, USER, {"role": "assistant", "content": json.dumps(pick)}],
           "reply": {"tier": "reader", "pick": pick, "intent": "move", "passage": "go to Old Lighthouse"},
           "effects": [{"kind": "location_change", "target": "Old Lighthouse", "accepted": True, "summary": "ok"}],
           "backend": "embedded"}  # fmt: skip
    example = to_example(row)
    assert example is not None and json.loads(example["messages"][-1]["content"]) == pick
    assert example["metadata"]["tier"] == "reader" and example["metadata"]["accepted_effects"] == 1
    assert example["metadata"]["effects"]["accepted"] == [{"kind": "location_change", "target": "Old Lighthouse",
                                                           "summary": "ok"}]


def test_a_turn_without_a_reply_gives_no_example() -> None:
    assert to_example(_row(reply=None)) is None


def test_effect_counts_accept_only_an_explicit_accepted_true() -> None:
    assert count_effects(OUTCOMES) == (1, 2)
    assert count_effects([]) == (0, 0)
    assert count_effects({"accepted": [{}, {}], "refused": [{}]}) == (2, 1)
    assert count_effects(None) == (0, 0)


@pytest.mark.parametrize("argv", [
    ["export", "training", "--format", "csv"],
    ["export", "training", "--since", "last tuesday"],
    ["export"],
])
def test_bad_export_arguments_are_refused_by_the_parser(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser("export").parse_args(argv)
    assert stop.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_since_reads_an_iso_date_as_utc() -> None:
    args = build_parser("export").parse_args(["export", "training", "--since", "2026-12-01", "--accepted-only"])
    assert args.since == datetime(2026, 12, 1, tzinfo=UTC) and args.accepted_only and args.format == "jsonl"

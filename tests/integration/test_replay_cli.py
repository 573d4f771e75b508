"""The replay harness end to end: turns played and logged through the real Table on the real PostgreSQL,
then replayed against a second scripted model that answers differently (`dm.replay` and `lorekeeper replay`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from dm.replay import LoggedTurn, replay_turn, summarize
from dm.table import Table
from dm.turn import DMTurn
from game.creation import create_character, standard_array
from game.effects import Creature, GameState
from gateway.cli import main
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog
from persistence.training_log import stream_turns

HIT = {"kind": "hp_change", "target": "goblin-1", "amount": -4, "damage_type": "slashing"}
GOLD = {"kind": "currency_change", "target": "brakka", "gp": 1000}


def _reply(narrative: str, *effects: dict[str, Any]) -> dict[str, Any]:
    return {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": list(effects)}


LOGGED = [
    _reply("Brakka's axe bites the goblin's shoulder.", HIT),
    _reply("The tide turns; the quay creaks under the goblin's feet."),
    _reply("Mist rolls in from the harbour."),
]
NEW = [
    _reply("Brakka's axe bites the goblin's shoulder.", HIT),  # the same behaviour
    _reply("A chest of 1000 gold coins washes up. What do you do next?", GOLD),  # worse on every count
    {"text": "not json at all"},  # no reply the parser can use
]


async def _party(keep: Any) -> None:
    brakka = create_character("Brakka", "dwarf", "fighter",
                              standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}),
                              ["athletics", "perception"], player_id=31)  # fmt: skip
    brakka.id = "brakka"
    goblin = Creature(id="goblin-1", name="Goblin", hp=7, max_hp=7, armor_class=15, dexterity=14)
    loaded = await keep.repo.load(keep.campaign.id)
    after = GameState(characters={"brakka": brakka}, creatures={"goblin-1": goblin}, location="Saltmere")
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=after.to_dict())  # fmt: skip


@pytest.fixture
async def logged(keep: Any) -> Any:
    """Three turns played and logged: a hit on the goblin, then two quiet ones."""
    await _party(keep)
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=5,
                  narrator=DMTurn(ScriptedBackend([{"reply": r} for r in LOGGED])))  # fmt: skip
    for i, text in enumerate(("I swing at the goblin.", "I wait.", "I look at the sea.")):
        await keep.say(table, text, author=31, name="bob", message_id=770_001 + i)
    return keep


async def _logged_turns(keep: Any, **kwargs: Any) -> list[LoggedTurn]:
    return [LoggedTurn.from_row(row) async for row in stream_turns(keep.db, campaign="Lantern Keep", **kwargs)]


async def test_a_replay_reports_what_the_new_model_does_differently(logged: Any) -> None:
    turns = await _logged_turns(logged)
    assert len(turns) == 3 and all(t.state_before() is not None for t in turns)
    assert turns[1].state_before().creatures["goblin-1"].hp == 3  # each turn kept the state it was played on
    backend = ScriptedBackend(NEW, name="candidate")
    diffs = [await replay_turn(turn, backend) for turn in turns]
    # the model was asked exactly what it was asked when the turn was played
    assert [list(r.messages) for r in backend.requests] == [t.request() for t in turns]
    assert "I swing at the goblin." in backend.requests[0].messages[-1]["content"]
    same, greedy, broken = diffs
    assert same.same and same.new.accepted == (("hp_change", "goblin-1"),) and same.new.judged
    assert not greedy.same and greedy.new.parsed
    assert greedy.new.refused == (("currency_change", "brakka"),) and greedy.new.accepted == ()
    assert "refused: +currency_change(brakka)" in greedy.changes
    assert greedy.new.ends_on_question and "ends on a question: no → yes" in greedy.changes
    assert greedy.new.stray_numbers == ("1000",)
    assert not broken.new.parsed and broken.changes[0].startswith("parse: ok → failed")
    summary = summarize(diffs)
    assert summary["turns"] == 3 and summary["same"] == 1 and summary["changed"] == 2
    assert summary["parse_failures"] == {"logged": 0, "new": 1} and summary["verdict_changes"] == 1
    assert summary["ends_on_question"] == {"logged": 0, "new": 1}


async def test_replaying_the_logged_answers_finds_no_difference(logged: Any) -> None:
    turns = await _logged_turns(logged)
    backend = ScriptedBackend([{"reply": r} for r in LOGGED])
    diffs = [await replay_turn(t, backend) for t in turns]
    assert all(d.same for d in diffs), [d.changes for d in diffs]
    assert diffs[0].logged.accepted == diffs[0].new.accepted == (("hp_change", "goblin-1"),)


async def test_a_backend_error_on_replay_is_a_difference_not_a_crash(logged: Any) -> None:
    (turn,) = await _logged_turns(logged, latest=1)
    assert turn.request()[-1]["content"].count("I look at the sea.") == 1
    diff = await replay_turn(turn, ScriptedBackend([{"error": "timeout"}]))
    assert not diff.same and not diff.new.parsed and "backend error" in diff.new.problem


# --- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings_env: Path, embedded_pg: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    get_settings.cache_clear()
    return settings_env


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))  # the CLI runs its own event loop


async def test_the_cli_prints_a_diff_per_turn_and_a_summary(logged: Any, cli_env: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    script = cli_env / "candidate.jsonl"
    script.write_text("\n".join(json.dumps(entry) for entry in NEW) + "\n", encoding="utf-8")
    assert await _cli("replay", "--campaign", "Lantern Keep", "--llm", f"scripted:{script}") == 3
    out = capsys.readouterr().out
    blocks = out.strip().split("\n")
    assert blocks[0].endswith(": same") and "(scripted → scripted)" in blocks[0]
    assert "refused: +currency_change(brakka)" in out and "ends on a question: no → yes" in out
    assert "numbers not from the engine: none → 1000" in out and "parse: ok → failed" in out
    assert out.strip().splitlines()[-1].startswith("Replayed 3 turns: 1 same, 2 changed")

    assert await _cli("replay", "--campaign", "Lantern Keep", "--llm", f"scripted:{script}", "--limit", "2",
                      "--json") == 3  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["turns"] == 2
    first_id = (await _logged_turns(logged))[0].id
    assert [t["turn_id"] for t in report["turns"]] == [first_id + 1, first_id + 2]  # the newest two, oldest first
    assert report["turns"][1]["new"]["refused"] == [["currency_change", "brakka"]]


async def test_the_cli_is_quiet_when_nothing_changed(logged: Any, cli_env: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    script = cli_env / "same.json"
    script.write_text(json.dumps([{"reply": r} for r in LOGGED]), encoding="utf-8")
    assert await _cli("replay", "--campaign", "Lantern Keep", "--llm", f"scripted:{script}") == 0
    assert "Replayed 3 turns: 3 same, 0 changed" in capsys.readouterr().out


async def test_the_cli_refuses_bad_arguments_with_one_friendly_line(logged: Any, cli_env: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    script = cli_env / "same.json"
    script.write_text(json.dumps([{"reply": r} for r in LOGGED]), encoding="utf-8")
    assert await _cli("replay", "--campaign", "Nowhere", "--llm", f"scripted:{script}") == 1
    err = capsys.readouterr().err
    assert "There is no campaign called 'Nowhere'" in err and "Traceback" not in err
    assert await _cli("replay", "--campaign", "Lantern Keep", "--llm", f"scripted:{cli_env / 'gone.jsonl'}") == 1
    assert "can't read the scripted replies" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        await _cli("replay", "--campaign", "Lantern Keep", "--limit", "0")
    assert "--limit takes a whole number" in capsys.readouterr().err


async def test_a_campaign_without_logged_turns_replays_nothing(keep: Any, cli_env: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    script = cli_env / "same.json"
    script.write_text(json.dumps([{"reply": r} for r in LOGGED]), encoding="utf-8")
    assert await _cli("replay", "--campaign", "Lantern Keep", "--llm", f"scripted:{script}") == 0
    captured = capsys.readouterr()
    assert "Replayed 0 turns" in captured.out and "has no logged DM turns to replay yet" in captured.err

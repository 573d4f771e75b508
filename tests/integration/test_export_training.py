"""`lorekeeper export training` end to end: real `dm_turns` rows stored through `MessageLog`, the real CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from persistence.database import Database
from persistence.messages import MessageLog, TurnRecord

SYSTEM = {"role": "system", "content": "You are the DM of the Drowned Lantern."}
ACCEPTED = {"index": 0, "kind": "hp_change", "accepted": True, "summary": "Mira takes 3 piercing damage"}
REFUSED = {"index": 1, "kind": "item_add", "accepted": False, "summary": "refused", "reason": "unknown item"}


@pytest.fixture
def cli_env(settings_env: Path, embedded_pg: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    get_settings.cache_clear()
    return settings_env


def _reply(text: str, effects: list | None = None) -> dict:
    return {"narrative": text, "rolls": [], "rule_lookups": [], "effects": effects or []}


async def _turn(db: Database, campaign: str, channel: int, message_id: int, said: str, when: str,
                reply: dict | None, effects: list) -> int:
    campaign_id = await db.fetch_value("SELECT id FROM campaigns WHERE name = %s", (campaign,))
    if campaign_id is None:
        campaign_id = await db.fetch_value("INSERT INTO campaigns (name, channel_id) VALUES (%s, %s) RETURNING id",
                                           (campaign, channel))
    log = MessageLog(db)
    await log.record(channel_id=channel, message_id=message_id, author_id=7, author_name="Mira", content=said,
                     campaign_id=campaign_id)
    turn = TurnRecord(prompt=[SYSTEM, {"role": "user", "content": f"Mira: {said}"}],
                      reply_text=reply["narrative"] if reply else "The DM is lost in thought.",
                      backend="scripted" if reply else "fallback", model="script-1", reply=reply, effects=effects,
                      prompt_tokens=40, completion_tokens=25, latency_ms=120)
    turn_id = await log.complete_turn(campaign_id=campaign_id, channel_id=channel, message_ids=[message_id],
                                      turn=turn)
    await db.execute("UPDATE dm_turns SET created_at = %s WHERE id = %s", (when, turn_id))
    return turn_id


@pytest.fixture
async def turns(clean_db: Database) -> list[int]:
    return [
        await _turn(clean_db, "Lantern", 555, 1, "I open the door — carefully.", "2026-11-01T10:00:00+00:00",
                    _reply("A dart clips Mira.", [{"kind": "hp_change", "target": "mira", "amount": -3}]), [ACCEPTED]),
        await _turn(clean_db, "Lantern", 555, 2, "I wait.", "2026-11-20T10:00:00+00:00", None, []),
        await _turn(clean_db, "Lantern", 555, 3, "I take the crown.", "2026-11-21T10:00:00+00:00",
                    _reply("The crown is only painted wood."), [ACCEPTED, REFUSED]),
        await _turn(clean_db, "Keep", 556, 4, "I bar the gate.", "2026-11-22T10:00:00+00:00",
                    _reply("The bar thuds home."), []),
    ]


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))  # the CLI runs its own event loop


def _lines(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


async def test_every_answered_turn_becomes_one_chat_example(turns: list[int], cli_env: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "train.jsonl"
    assert await _cli("export", "training", "--format", "jsonl", "--output", str(out)) == 0
    assert f"Wrote 3 training examples to {out}" in capsys.readouterr().err
    lines = _lines(out)
    assert [line["metadata"]["turn_id"] for line in lines] == [turns[0], turns[2], turns[3]]
    first = lines[0]
    assert first["messages"][:2] == [SYSTEM, {"role": "user", "content": "Mira: I open the door — carefully."}]
    assert first["messages"][2]["role"] == "assistant" and len(first["messages"]) == 3
    answer = first["messages"][2]["content"]
    assert json.loads(answer) == _reply("A dart clips Mira.", [{"kind": "hp_change", "target": "mira", "amount": -3}])
    assert list(json.loads(answer)) == ["narrative", "rolls", "rule_lookups", "effects"]  # the schema's order
    assert first["metadata"] == {"campaign": "Lantern", "turn_id": turns[0], "backend": "scripted",
                                 "model": "script-1", "created_at": "2026-11-01T10:00:00+00:00", "tier": "full",
                                 "accepted_effects": 1, "refused_effects": 0,
                                 "effects": {"accepted": [{"kind": "hp_change", "target": "",
                                                           "summary": "Mira takes 3 piercing damage"}],
                                             "refused": []},
                                 "prompt_tokens": 40, "completion_tokens": 25, "latency_ms": 120, "context": {}}
    assert (lines[1]["metadata"]["accepted_effects"], lines[1]["metadata"]["refused_effects"]) == (1, 1)
    assert lines[1]["metadata"]["effects"]["refused"] == [{"kind": "item_add", "target": "", "summary": "refused",
                                                           "reason": "unknown item"}]
    assert lines[2]["metadata"]["campaign"] == "Keep"
    assert not list(cli_env.glob(".*.partial"))


async def test_no_reply_turns_are_counted_on_stderr_and_examples_go_to_stdout(
        turns: list[int], cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _cli("export", "training") == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 3 and all(line["messages"][-1]["role"] == "assistant" for line in lines)
    assert "Wrote 3 training examples to stdout" in captured.err
    assert "skipped 1 turn with no reply" in captured.err


async def test_campaign_since_and_accepted_only_filter(turns: list[int], cli_env: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "lantern.jsonl"
    assert await _cli("export", "training", "--campaign", "Lantern", "--accepted-only", "-o", str(out)) == 0
    assert [line["metadata"]["turn_id"] for line in _lines(out)] == [turns[0]]
    err = capsys.readouterr().err
    assert "Wrote 1 training example to" in err and "left out 1 with a refused effect" in err

    assert await _cli("export", "training", "--since", "2026-11-21", "-o", str(out)) == 0
    assert [line["metadata"]["turn_id"] for line in _lines(out)] == [turns[2], turns[3]]

    assert await _cli("export", "training", "--campaign", "Keep", "--since", "2026-11-22T11:00:00+01:00",
                      "-o", str(out)) == 0
    assert [line["metadata"]["turn_id"] for line in _lines(out)] == [turns[3]]  # 10:00 UTC is 11:00 +01:00


async def test_an_unknown_campaign_is_one_friendly_line_and_writes_nothing(
        turns: list[int], cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "none.jsonl"
    assert await _cli("export", "training", "--campaign", "Nowhere", "-o", str(out)) == 1
    err = capsys.readouterr().err
    assert "There is no campaign called 'Nowhere'" in err and "Keep, Lantern" in err and "Traceback" not in err
    assert not out.exists() and not list(cli_env.glob(".*.partial"))


async def test_an_empty_log_writes_an_empty_file(clean_db: Database, cli_env: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = cli_env / "empty.jsonl"
    assert await _cli("export", "training", "-o", str(out)) == 0
    assert out.read_text(encoding="utf-8") == ""
    assert "Wrote 0 training examples" in capsys.readouterr().err


async def test_a_played_dm_turn_exports_its_prompt_its_answer_once_and_its_verdicts(
        keep: Any, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A turn logged by the real DM turn (a lookup round, then the answer): the final answer is the target,
    not repeated from the logged prompt; the lookup exchange stays as chat turns; the verdicts, the backend,
    the tokens, the latency and the context (lookups, passages) are in the metadata; the state is not."""
    from dm.table import Table
    from dm.turn import DMTurn
    from game.effects import Creature, GameState
    from inference.scripted import ScriptedBackend

    loaded = await keep.repo.load(keep.campaign.id)
    state = GameState(creatures={"rat": Creature(id="rat", name="Rat", hp=2, max_hp=2)}, location="Saltmere")
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=state.to_dict())  # fmt: skip
    final = _reply("The rat squeals and goes still.", [{"kind": "hp_change", "target": "rat", "amount": -2},
                                                       {"kind": "currency_change", "target": "rat", "gp": 5}])
    backend = ScriptedBackend([{**_reply("Let me check."), "rule_lookups": [{"kind": "monster", "name": "Rat"}]},
                               final])  # fmt: skip
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=1, narrator=DMTurn(backend))
    await keep.say(table, "I stamp on the rat.", message_id=660_001)
    out = cli_env / "played.jsonl"
    assert await _cli("export", "training", "--campaign", "Lantern Keep", "-o", str(out)) == 0
    (example,) = _lines(out)
    roles = [m["role"] for m in example["messages"]]
    assert roles[-4:] == ["user", "assistant", "user", "assistant"] and roles.count("assistant") == 2
    assert "I stamp on the rat." in example["messages"][-4]["content"]
    assert json.loads(example["messages"][-3]["content"])["rule_lookups"] == [{"kind": "monster", "name": "Rat"}]
    assert "SRD entries you asked for" in example["messages"][-2]["content"]
    assert json.loads(example["messages"][-1]["content"]) == final
    meta = example["metadata"]
    assert meta["backend"] == "scripted" and meta["model"] == "scripted" and meta["latency_ms"] >= 0
    assert meta["prompt_tokens"] > 0 and meta["completion_tokens"] > 0
    assert [(e["kind"], e["target"]) for e in meta["effects"]["accepted"]] == [("hp_change", "rat")]
    assert [(e["kind"], e["target"]) for e in meta["effects"]["refused"]] == [("currency_change", "rat")]
    assert meta["context"]["lookups"] == ["monster:Rat"] and meta["context"]["generations"] == 2
    assert meta["context"]["chunks"] == [] and "state_before" not in meta["context"]

"""The DM turn through the real Table on the real PostgreSQL, with the scripted backend and the real SRD."""

from __future__ import annotations

from typing import Any

from dm.table import PlayerMessage, Table
from dm.turn import DMTurn
from dm_party import reply, saltmere_party  # noqa: E402 - tests/integration is on sys.path
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog


def _reply(narrative: str, **parts: Any) -> dict[str, Any]:
    return reply(narrative, **parts)


async def _party(keep: Any) -> None:
    """Brakka (player 31), Mira (32) and a goblin, saved to the campaign."""
    await saltmere_party(keep)


def _table(keep: Any, backend: ScriptedBackend, rules: Any = None) -> Table:
    return Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3, rules=rules,
                 narrator=DMTurn(backend))  # fmt: skip


async def _turns(keep: Any) -> list[dict[str, Any]]:
    return await keep.db.fetch_all("SELECT id, reply_text, effects, backend FROM dm_turns ORDER BY id")


async def _message(keep: Any, message_id: int) -> dict[str, Any]:
    row = await keep.db.fetch_one(
        "SELECT processed, turn_id FROM message_history WHERE discord_message_id = %s", (message_id,))
    assert row is not None
    return row


async def test_a_turn_saves_its_record_its_changes_and_the_processed_flag_together(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("Brakka's axe bites deep; the goblin shrieks.", effects=[
        {"kind": "hp_change", "target": "goblin-1", "amount": -5, "damage_type": "slashing"},
        {"kind": "hp_change", "target": "brakka", "amount": 48769},
        {"kind": "item_add", "target": "brakka", "item": "Vorpal Sword"},
        {"kind": "currency_change", "target": "mira", "gp": 1000},
    ])])  # fmt: skip
    table = _table(keep, backend)
    reply = await keep.say(table, "I swing my axe at the goblin.", author=31, name="bob", message_id=880_001)
    assert reply.kind == "narrative" and reply.text.startswith("Brakka's axe bites deep")
    assert "Mechanics: Goblin takes 5 slashing damage (7 → 2 HP)." in reply.text
    assert [a["kind"] for a in reply.applied] == ["hp_change"]
    assert sorted(r["kind"] for r in reply.refused) == ["currency_change", "hp_change", "item_add"]
    _, state = await keep.stored()
    assert state.creatures["goblin-1"].hp == 2
    assert state.characters["brakka"].hp == state.characters["brakka"].max_hp
    assert all(i.name != "Vorpal Sword" for i in state.characters["brakka"].inventory.items)
    assert state.characters["mira"].currency.gp < 1000
    (turn,) = await _turns(keep)
    assert turn["reply_text"] == reply.text and turn["backend"] == "scripted"
    assert [(e["kind"], e["accepted"]) for e in turn["effects"]][0] == ("hp_change", True)
    message = await _message(keep, 880_001)
    assert message["processed"] and message["turn_id"] == turn["id"]
    again = await keep.say(table, "I swing my axe at the goblin.", author=31, name="bob", message_id=880_001)
    assert again.replayed and again.text == reply.text and len(backend.requests) == 1


async def test_a_backend_error_leaves_the_message_pending_and_nothing_applied(keep: Any) -> None:
    await _party(keep)
    version, before = await keep.stored()
    backend = ScriptedBackend([{"error": "unavailable"}, {"text": "no json here"},
                               _reply("The fog lifts at last.", effects=[{"kind": "condition_set", "target": "mira",
                                                                          "condition": "prone"}])])  # fmt: skip
    table = _table(keep, backend)
    first = await keep.say(table, "I wait for the fog to lift.", author=32, name="ann", message_id=880_101)
    assert first.kind == "narrative" and "nothing was changed" in first.text and "kept" in first.text
    second = await keep.say(table, "Still waiting.", author=32, name="ann", message_id=880_102)
    assert "nothing was changed" in second.text
    assert await keep.stored() == (version, before) and await _turns(keep) == []
    assert not (await _message(keep, 880_101))["processed"] and not (await _message(keep, 880_102))["processed"]
    third = await keep.say(table, "Anything now?", author=32, name="ann", message_id=880_103)
    assert third.text.startswith("The fog lifts")
    prompt = backend.requests[-1].messages[-1]["content"]
    assert "I wait for the fog" in prompt and "Still waiting." in prompt and "Anything now?" in prompt
    (turn,) = await _turns(keep)
    for mid in (880_101, 880_102, 880_103):  # the pending ones are answered by the turn that succeeded
        assert (await _message(keep, mid))["turn_id"] == turn["id"]
    assert "prone" in (await keep.stored())[1].characters["mira"].conditions


async def test_three_players_batch_is_answered_in_one_turn(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("Brakka, Mira and the stranger Cy reach the lantern together.")])
    table = _table(keep, backend)
    batch = [PlayerMessage(keep.channel, 880_200 + i, author, name, text) for i, (author, name, text) in enumerate(
        [(31, "bob", "I climb the stairs."), (32, "ann", "I follow Brakka."), (33, "cy", "I light a torch.")])]
    for m in batch:
        await table.messages.record(channel_id=m.channel_id, message_id=m.message_id, author_id=m.author_id,
                                    content=m.text, author_name=m.author_name)  # fmt: skip
    assert table.narrator is not None
    (reply,) = await table.narrator.narrate(table, batch)
    assert reply.text.startswith("Brakka, Mira and the stranger") and len(backend.requests) == 1
    (turn,) = await _turns(keep)
    for m in batch:
        assert (await _message(keep, m.message_id))["turn_id"] == turn["id"]


async def test_a_lookup_round_brings_the_srd_values_for_fireball(keep: Any, rules: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([
        _reply("Mira searches her memory.", rule_lookups=[{"kind": "spell", "name": "fireball"}]),
        _reply("A bead of flame streaks from Mira's finger and blossoms into a roar of fire."),
    ])  # fmt: skip
    table = _table(keep, backend, rules)
    reply = await keep.say(table, "How big is a fireball again?", author=32, name="ann")
    assert reply.text.startswith("A bead of flame")
    shown = backend.requests[1].messages[-1]["content"]
    assert "Fireball" in shown and "8d6" in shown and "20-foot" in shown


async def test_a_roll_is_made_by_the_engine_and_narrated_in_a_second_pass(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([
        _reply("Mira studies the sigils.", rolls=[{"who": "Mira", "kind": "ability_check",
                                                   "ability_or_skill": "arcana", "dc": 12}]),
        _reply("The sigils resolve into a warding circle."),
    ])  # fmt: skip
    table = _table(keep, backend)
    reply = await keep.say(table, "I study the sigils.", author=32, name="ann")
    assert reply.text.startswith("The sigils resolve")
    assert "Mira's Arcana check:" in reply.text and "(+5)" in reply.text and "vs DC 12" in reply.text
    assert "The engine rolled" in backend.requests[1].messages[-1]["content"]
    (turn,) = await _turns(keep)
    assert turn["reply_text"] == reply.text


def test_play_wires_the_dm_turn_for_every_llm(tmp_path: Any, capsys: Any, settings_env: Any,
                                              monkeypatch: Any) -> None:  # fmt: skip
    """scripted:PATH replays canned replies; with no GPU and no keys, auto (and embedded) route to the embedded
    model, which plays the reader tier and is not loaded until the first plain-talk turn."""
    from dm.tiers import READER, planned_tier
    from gateway.cli import main
    from gateway.commands.play import _narrator
    from inference.router import Router
    from inference.scripted import ScriptedBackend

    for key in ("GEMINI_API_KEY", "XAI_API_KEY", "VLLM_HOST"):
        monkeypatch.delenv(key, raising=False)
    script = tmp_path / "dm.jsonl"
    script.write_text('{"narrative": "The lantern flickers.", "rolls": [], "rule_lookups": [], "effects": []}\n')
    scripted = _narrator(f"scripted:{script}")
    assert isinstance(scripted, DMTurn) and isinstance(scripted.backend, ScriptedBackend)
    for llm in ("auto", "embedded"):
        turn = _narrator(llm)
        assert isinstance(turn, DMTurn) and isinstance(turn.backend, Router)
        assert turn.backend.next_backend() == "embedded" and planned_tier(turn.backend) == READER
        assert turn.backend.backends["embedded"].inner.loaded is False  # loaded lazily, on the first turn
    assert main(["play", "--llm", "gemini"]) == 1
    assert "'gemini' is not configured here" in capsys.readouterr().err
    assert main(["play", "--llm", f"scripted:{tmp_path / 'missing.jsonl'}"]) == 1
    assert "can't read the scripted replies" in capsys.readouterr().err

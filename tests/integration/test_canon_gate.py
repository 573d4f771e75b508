"""The canon gate through the real Table on the real PostgreSQL, with the scripted backend."""

from __future__ import annotations

from typing import Any

from dm.canon_gate import neutral_narrative
from dm.table import Table
from dm.turn import DMTurn
from game.effects import Creature, GameState, NpcRecord
from dm_party import brakka_and_mira  # noqa: E402 - tests/integration is on sys.path
from inference.scripted import ScriptedBackend
from persistence.canon import CanonRepository
from persistence.interfaces import CanonFact, CanonStore
from persistence.messages import MessageLog


def _reply(narrative: str, **parts: Any) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": [], **parts}}


async def _party(keep: Any) -> GameState:
    """Brakka (player 31), Mira (32), a dead goblin, a living wolf and Captain Morrow, in Saltmere."""
    brakka, mira = brakka_and_mira().values()
    after = GameState(
        characters={"brakka": brakka, "mira": mira},
        creatures={"goblin-1": Creature(id="goblin-1", name="Goblin", hp=0, max_hp=7, dead=True),
                   "wolf-1": Creature(id="wolf-1", name="Wolf", hp=11, max_hp=11)},
        npcs={"captain morrow": NpcRecord(name="Captain Morrow")},
        location="Saltmere", known_locations=("Saltmere",),
    )  # fmt: skip
    loaded = await keep.repo.load(keep.campaign.id)
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state, after=after.to_dict())
    return after


def _table(keep: Any, backend: ScriptedBackend) -> Table:
    return Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3,
                 narrator=DMTurn(backend, canon=CanonRepository(keep.db)))  # fmt: skip


async def _turns(keep: Any) -> list[dict[str, Any]]:
    return await keep.db.fetch_all("SELECT id, reply_text, context, effects FROM dm_turns ORDER BY id")


async def test_a_dead_goblin_speaking_gets_one_repair_pass_and_the_repaired_text_is_posted(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([
        _reply('"You will pay for this!" says the goblin, and the goblin lunges at Brakka.',
               effects=[{"kind": "hp_change", "target": "wolf-1", "amount": -4, "damage_type": "slashing"}]),
        _reply("The goblin lies still in the mud; the wolf, bleeding, circles Brakka.",
               effects=[{"kind": "hp_change", "target": "wolf-1", "amount": -4, "damage_type": "slashing"}]),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "I kick the goblin to check it's dead.", message_id=890_001)
    assert reply.text.startswith("The goblin lies still in the mud; the wolf, bleeding, circles Brakka.")
    assert "says the goblin" not in reply.text
    assert len(backend.requests) == 2
    repair = backend.requests[1].messages[-1]["content"]
    assert "Goblin is dead" in repair and "same reply corrected" in repair
    (turn,) = await _turns(keep)
    canon = turn["context"]["canon"]
    assert canon["repaired"] and not canon["fallback"] and canon["found"][0]["kind"] == "dead"
    assert (await keep.stored())[1].creatures["wolf-1"].hp == 7  # the repaired reply's effect was applied once


async def test_a_reply_that_contradicts_twice_posts_the_neutral_line_and_keeps_the_engine_s_verdicts(keep: Any) -> None:
    state = await _party(keep)
    backend = ScriptedBackend([
        _reply("The goblin laughs and spits at Mira.",
               effects=[{"kind": "condition_set", "target": "mira", "condition": "prone"}]),
        _reply("Then the goblin grins and attacks Mira again.",
               effects=[{"kind": "condition_set", "target": "mira", "condition": "prone"},
                        {"kind": "hp_change", "target": "goblin-1", "amount": 7}]),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "I stay on guard.", author=32, name="ann", message_id=890_101)
    assert reply.text.startswith(neutral_narrative(state)) and "goblin" not in reply.text.split("\n")[0].lower()
    assert len(backend.requests) == 2
    _, after = await keep.stored()
    assert "prone" in after.characters["mira"].conditions  # the verdicts on effects still apply
    assert after.creatures["goblin-1"].dead and after.creatures["goblin-1"].hp == 0  # the dead are not healed
    assert [r["kind"] for r in reply.refused] == ["hp_change"]
    (turn,) = await _turns(keep)
    assert turn["context"]["canon"]["fallback"] and turn["context"]["canon"]["remaining"]
    assert turn["reply_text"] == reply.text


async def test_a_misspelt_name_is_put_right_without_a_second_pass(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("Captian Morrow tips his hat toward the harbour of Saltmere.")])
    reply = await keep.say(_table(keep, backend), "I wave at the captain.", message_id=890_201)
    assert reply.text.startswith("Captain Morrow tips his hat") and len(backend.requests) == 1
    (turn,) = await _turns(keep)
    assert turn["context"]["canon"]["spelling_fixed"][0]["fix"] == "Captain Morrow"


async def test_facts_are_stored_with_the_turn_and_hold_at_a_fresh_table(keep: Any) -> None:
    await _party(keep)
    store = CanonRepository(keep.db)
    assert isinstance(store, CanonStore)
    first = ScriptedBackend([_reply(
        "A gaunt harbourmaster named Pell steps out of the customs house and promises you a boat.",
        effects=[{"kind": "npc_introduce", "name": "Pell", "description": "the harbourmaster"}],
        canon=[{"subject": "Pell", "predicate": "promised", "object": "a boat at dawn"},
               {"subject": "Pell", "predicate": "is_dead", "object": "yes"}],
    )])  # fmt: skip
    await keep.say(_table(keep, first), "Who runs this harbour?", message_id=890_301)
    (turn,) = await _turns(keep)
    facts = {(f.subject, f.predicate): f for f in await store.facts(keep.campaign.id)}
    assert facts[("Pell", "is_at")].object == "Saltmere" and facts[("Pell", "promised")].object == "a boat at dawn"
    assert facts[("Pell", "name")].source == f"turn:{turn['id']}" and ("Pell", "is_dead") not in facts
    # the party moves on; Pell stays in Saltmere
    await store.record(keep.campaign.id, [CanonFact("PELL", "promised", "a boat at noon")], source="chunk:9")
    loaded = await keep.repo.load(keep.campaign.id)
    moved = GameState.from_dict(loaded.state).model_copy(update={"location": "the Salt Docks",
                                                                 "known_locations": ("Saltmere", "the Salt Docks")})
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state, after=moved.to_dict())
    later = ScriptedBackend([_reply("Pell greets you at the quay with a grin."),
                             _reply("Gulls wheel over the quay; a boat knocks against the pilings.")])
    reply = await keep.say(_table(keep, later), "Is our boat ready?", message_id=890_302)  # a fresh Table and DMTurn
    assert reply.text.startswith("Gulls wheel over the quay") and len(later.requests) == 2
    assert "Pell is at Saltmere" in later.requests[1].messages[-1]["content"]
    shown = later.requests[0].messages[-1]["content"]  # the model was told before it answered
    assert "Pell: is at Saltmere" in shown and "PELL: promised a boat at noon" in shown and "Goblin: dead" in shown
    stored = {(f.subject, f.predicate): f for f in await store.facts(keep.campaign.id)}
    assert stored[("PELL", "promised")] == CanonFact("PELL", "promised", "a boat at noon", "chunk:9")  # one row
    assert ("Pell", "promised") not in stored and stored[("Pell", "is_at")].object == "Saltmere"


async def test_a_whisper_is_held_to_canon_too(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("The goblin whispers back: the key is under the altar."),
                               _reply("The goblin is past whispering; under the altar you find only dust.")])
    reply = await keep.say(_table(keep, backend), "!whisper I ask the goblin where the key is.", message_id=890_401)
    assert reply.kind == "whisper" and reply.result.answer.startswith("The goblin is past whispering")
    assert len(backend.requests) == 2 and "Goblin is dead" in backend.requests[1].messages[-1]["content"]


async def test_a_reply_may_move_an_npc_by_its_own_canon_note(keep: Any) -> None:
    await _party(keep)
    await CanonRepository(keep.db).record(keep.campaign.id, [CanonFact("Captain Morrow", "is_at", "the Salt Docks")])
    backend = ScriptedBackend([_reply("Captain Morrow greets you at the market, fresh off the dock road.",
                                      canon=[{"subject": "Captain Morrow", "predicate": "is_at",
                                              "object": "Saltmere"}])])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "Good morning, captain!", message_id=890_501)
    assert reply.text.startswith("Captain Morrow greets you at the market") and len(backend.requests) == 1
    facts = {(f.subject, f.predicate): f.object for f in await CanonRepository(keep.db).facts(keep.campaign.id)}
    assert facts[("Captain Morrow", "is_at")] == "Saltmere"

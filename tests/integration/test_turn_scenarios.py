"""Whole-table scenarios for the DM turn: the scripted model, the real Table, the real PostgreSQL.

Each scenario drives plain talk through `Table.handle` (as the console and Discord do) and checks what
the database holds afterwards — the campaign's saved state, the `dm_turns` rows and each message's
processed flag and turn id — not only the text the players saw. The model's lines are canned
(`ScriptedBackend`); the dice, the rules and the storage are the real ones.
"""

from __future__ import annotations

import re
from typing import Any

from dm.table import Table
from dm.turn import DMTurn
from game.abilities import ability_modifier
from game.creation import create_character, standard_array
from game.effects import Creature, GameState
from dm_party import brakka_and_mira  # noqa: E402 - tests/integration is on sys.path
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog

BOB, ANN, CY = (31, "bob"), (32, "ann"), (33, "cy")


def _reply(narrative: str, *effects: dict[str, Any]) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": list(effects)}}


async def _party(keep: Any, *, with_tamsin: bool = False) -> GameState:
    """Brakka (player 31), Mira (32), optionally Tamsin (33), and a goblin, saved to the campaign."""
    brakka, mira = brakka_and_mira().values()
    characters = {"brakka": brakka, "mira": mira}
    if with_tamsin:
        tamsin = create_character("Tamsin", "human", "fighter",
                                  standard_array({"dex": 15, "con": 14, "str": 13, "wis": 12, "cha": 10, "int": 8}),
                                  ["acrobatics", "perception"], player_id=33)  # fmt: skip
        tamsin.id = "tamsin"
        characters["tamsin"] = tamsin
    goblin = Creature(id="goblin-1", name="Goblin", hp=7, max_hp=7, armor_class=15, dexterity=14)
    loaded = await keep.repo.load(keep.campaign.id)
    after = GameState(characters=characters, creatures={"goblin-1": goblin}, location="Saltmere")
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=after.to_dict())  # fmt: skip
    return after


def _table(keep: Any, backend: ScriptedBackend, seed: int = 11) -> Table:
    """A fresh table (nothing cached: it reads the campaign from PostgreSQL) narrated by `backend`."""
    return Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=seed, narrator=DMTurn(backend))


async def _turns(keep: Any) -> list[dict[str, Any]]:
    return await keep.db.fetch_all("SELECT id, reply_text, effects, backend, prompt FROM dm_turns ORDER BY id")


async def _message(keep: Any, message_id: int) -> dict[str, Any]:
    row = await keep.db.fetch_one(
        "SELECT processed, turn_id FROM message_history WHERE discord_message_id = %s", (message_id,))
    assert row is not None
    return row


def _verdicts(turn: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(e["kind"], e["accepted"]) for e in turn["effects"]]


def _user_text(backend: ScriptedBackend, request: int = -1) -> str:
    return "\n".join(m["content"] for m in backend.requests[request].messages if m["role"] == "user")


def _new_messages(backend: ScriptedBackend, request: int = -1) -> list[str]:
    """The players' words a request put to the model as new (history before them is context, not new)."""
    blocks = re.findall(r'<message from "[^"]*">\n(.*?)\n</message>', _user_text(backend, request), re.S)
    return [text.strip() for text in blocks]


# --- a whole fight, driven by the DM's turns ------------------------------------------------------


async def test_a_fight_from_the_first_blow_to_the_last_is_saved_turn_by_turn(keep: Any) -> None:
    before = await _party(keep)
    start = ScriptedBackend([_reply("The goblin bares its teeth and the tide-bell clangs: steel is drawn.",
                                    {"kind": "combat_start", "combatants": [
                                        {"id": "brakka"}, {"id": "mira"}, {"id": "goblin-1"}]})])  # fmt: skip
    first = await keep.say(_table(keep, start), "I charge the goblin!", author=BOB[0], name=BOB[1],
                           message_id=990_001)  # fmt: skip
    assert "Roll for initiative!" in first.text and [a["kind"] for a in first.applied] == ["combat_start"]
    _, state = await keep.stored()
    assert state.combat is not None and (state.combat.round, state.combat.turn_index) == (1, 0)
    order = state.combat.combatants
    assert sorted(c.id for c in order) == ["brakka", "goblin-1", "mira"]
    for c in order:  # the engine rolled each: d20 + the Dexterity modifier it knows for that combatant
        who = before.characters.get(c.id) or before.creatures[c.id]
        bonus = ability_modifier(who.initiative_dexterity) + who.initiative_bonus
        assert 1 + bonus <= c.initiative <= 20 + bonus, c
    assert [c.initiative for c in order] == sorted((c.initiative for c in order), reverse=True)
    assert all(f"{c.name} {c.initiative}" in first.text for c in order)  # the mechanics line carries the numbers

    # The turn passes: only the combatant whose turn it is may end it.
    current, bystander = order[0], order[2]
    advance = ScriptedBackend([_reply(f"{current.name} gives ground, breathing hard.",
                                      {"kind": "turn_advance", "actor": bystander.id},
                                      {"kind": "turn_advance", "actor": current.id})])  # fmt: skip
    await keep.say(_table(keep, advance), "I look for an opening.", author=ANN[0], name=ANN[1], message_id=990_002)
    _, state = await keep.stored()
    assert state.combat is not None and state.combat.turn_index == 1 and state.combat.round == 1
    assert _verdicts((await _turns(keep))[-1]) == [("turn_advance", True), ("turn_advance", False)]

    # A creature dies on a living combatant's turn; that turn ends, and the dead goblin's turn is skipped.
    living = [c.id for c in order if c.id != "goblin-1"]
    actor = order[1].id if order[1].id != "goblin-1" else order[0].id
    if order[1].id == "goblin-1":  # the goblin's own turn: it passes before it is struck down
        await keep.say(_table(keep, ScriptedBackend([_reply("The goblin hesitates.", {"kind": "turn_advance",
                       "actor": "goblin-1"})])), "I wait.", author=ANN[0], name=ANN[1], message_id=990_010)
        actor = order[2].id
    kill = ScriptedBackend([_reply("Brakka's axe comes down and the goblin crumples into the brine.",
                                   {"kind": "hp_change", "target": "goblin-1", "amount": -7, "damage_type": "slashing"},
                                   {"kind": "turn_advance", "actor": actor})])  # fmt: skip
    await keep.say(_table(keep, kill), "I finish it.", author=BOB[0], name=BOB[1], message_id=990_003)
    _, state = await keep.stored()
    assert state.creatures["goblin-1"].hp == 0 and state.creatures["goblin-1"].dead
    assert state.combat is not None  # dying does not end the fight by itself
    now = state.combat.combatants[state.combat.turn_index].id
    assert now in living and now != actor  # the turn went on to the other living combatant, past the dead
    assert state.combat.round == 2 or [c.id for c in order].index(now) > [c.id for c in order].index(actor)

    end = ScriptedBackend([_reply("Silence returns to the quay; only the gulls argue now.",
                                  {"kind": "combat_end", "reason": "the goblin is dead"})])  # fmt: skip
    last = await keep.say(_table(keep, end), "Is it over?", author=ANN[0], name=ANN[1], message_id=990_004)
    assert [a["kind"] for a in last.applied] == ["combat_end"]
    version, state = await keep.stored()
    assert state.combat is None and state.creatures["goblin-1"].dead
    assert state.characters["brakka"].hp == before.characters["brakka"].hp  # nobody else was touched
    turns = await _turns(keep)
    assert [_verdicts(t) for t in turns] == [
        [("combat_start", True)], [("turn_advance", True), ("turn_advance", False)],
        *([[("turn_advance", True)]] if order[1].id == "goblin-1" else []),
        [("hp_change", True), ("turn_advance", True)], [("combat_end", True)],
    ]  # fmt: skip
    for message_id in (990_001, 990_002, 990_003, 990_004):
        assert (await _message(keep, message_id))["processed"]
    assert len({(await _message(keep, m))["turn_id"] for m in (990_001, 990_002, 990_003, 990_004)}) == 4
    # every turn saved a version of its own: the three openings, the death and the end
    assert version >= 5


async def test_a_fight_with_a_creature_the_engine_does_not_know_does_not_start(keep: Any) -> None:
    await _party(keep)
    version, before = await keep.stored()
    backend = ScriptedBackend([_reply("A shadow drops from the rigging!", {"kind": "combat_start", "combatants": [
        {"id": "brakka"}, {"id": "shadow-dragon", "name": "Shadow Dragon"}]})])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "I keep watch.", message_id=990_101)
    assert reply.applied == () and [r["kind"] for r in reply.refused] == ["combat_start"]
    after_version, after = await keep.stored()
    assert after.combat is None and "shadow-dragon" not in after.creatures
    assert after.model_dump(exclude={"events"}) == before.model_dump(exclude={"events"})
    assert (await _message(keep, 990_101))["processed"]  # answered (the refusal is narrated), nothing changed
    assert after_version >= version


# --- a batch of three players ------------------------------------------------------------------------


async def test_three_players_waiting_on_the_storyteller_are_answered_in_one_narrative(keep: Any) -> None:
    await _party(keep, with_tamsin=True)
    version, before = await keep.stored()
    backend = ScriptedBackend([
        {"error": "overloaded"}, {"error": "timeout"},
        _reply("Brakka hauls the door open, Mira's light spills down the stair and Tamsin slips past them both "
               "into the drowned chapel.",
               {"kind": "condition_set", "target": "tamsin", "condition": "prone"}),
    ])  # fmt: skip
    table = _table(keep, backend)
    said = [(BOB, 990_201, "I pull the chapel door open."), (ANN, 990_202, "I raise my light."),
            (CY, 990_203, "I slip inside before anyone else.")]  # fmt: skip
    replies = [await keep.say(table, text, author=who[0], name=who[1], message_id=mid) for who, mid, text in said[:2]]
    assert all("nothing was changed" in r.text for r in replies)
    assert await keep.stored() == (version, before)  # the storyteller's silence changed nothing
    assert await _turns(keep) == [] and not (await _message(keep, 990_201))["processed"]
    (who, mid, text) = said[2]
    narrative = (await keep.say(table, text, author=who[0], name=who[1], message_id=mid)).text
    assert all(name in narrative for name in ("Brakka", "Mira", "Tamsin"))
    asked = _user_text(backend)
    assert _new_messages(backend) == [text for _, _, text in said]  # each player's line once, in order
    assert all(name in asked for (_, name), _, _ in said)
    (turn,) = await _turns(keep)
    assert turn["reply_text"] == narrative and _verdicts(turn) == [("condition_set", True)]
    for _, mid, _ in said:
        assert await _message(keep, mid) == {"processed": True, "turn_id": turn["id"]}
    _, after = await keep.stored()
    assert "prone" in after.characters["tamsin"].conditions


# --- a reply the parser cannot use, then a good one -----------------------------------------------------


async def test_malformed_json_loses_nothing_and_the_next_turn_answers_it_exactly_once(keep: Any) -> None:
    await _party(keep)
    version, before = await keep.stored()
    backend = ScriptedBackend([
        {"text": '{"narrative": "The lamp gutters", "effects": [{"kind": "hp_change", "target": "mira", "amo'},
        _reply("The lamp steadies; Mira and Brakka see the trapdoor at last.",
               {"kind": "hp_change", "target": "brakka", "amount": -2, "damage_type": "bludgeoning"}),
        _reply("Below, the water is waist-deep and cold."),
    ])  # fmt: skip
    table = _table(keep, backend)
    bad = await keep.say(table, "I trim the lamp.", author=ANN[0], name=ANN[1], message_id=990_301)
    assert "nothing was changed" in bad.text and "kept" in bad.text
    assert await keep.stored() == (version, before) and await _turns(keep) == []
    assert await _message(keep, 990_301) == {"processed": False, "turn_id": None}

    good = await keep.say(table, "I look around.", author=BOB[0], name=BOB[1], message_id=990_302)
    assert good.text.startswith("The lamp steadies") and [a["kind"] for a in good.applied] == ["hp_change"]
    assert _new_messages(backend) == ["I trim the lamp.", "I look around."]
    (turn,) = await _turns(keep)
    for mid in (990_301, 990_302):
        assert await _message(keep, mid) == {"processed": True, "turn_id": turn["id"]}
    _, state = await keep.stored()
    assert state.characters["brakka"].hp == before.characters["brakka"].hp - 2  # the good reply's damage, once

    later = await keep.say(table, "I climb down.", author=BOB[0], name=BOB[1], message_id=990_303)
    assert later.text.startswith("Below, the water")
    assert _new_messages(backend) == ["I climb down."]  # the answered ones are history now, not asked again
    turns = await _turns(keep)
    assert len(turns) == 2 and (await _message(keep, 990_301))["turn_id"] == turns[0]["id"]
    assert (await keep.stored())[1].characters["brakka"].hp == before.characters["brakka"].hp - 2


# --- a message delivered twice ------------------------------------------------------------------------


async def test_a_redelivered_message_is_not_answered_twice_even_after_later_turns(keep: Any) -> None:
    await _party(keep)
    _, before = await keep.stored()
    backend = ScriptedBackend([
        _reply("The goblin's knife finds Mira's arm.",
               {"kind": "hp_change", "target": "mira", "amount": -3, "damage_type": "piercing"}),
        _reply("The goblin scrambles up the rigging, cackling."),
    ])  # fmt: skip
    table = _table(keep, backend)
    first = await keep.say(table, "I grab the goblin's wrist.", author=ANN[0], name=ANN[1], message_id=990_401)
    await keep.say(table, "I follow it up the mast.", author=BOB[0], name=BOB[1], message_id=990_402)
    version, state = await keep.stored()
    assert state.characters["mira"].hp == before.characters["mira"].hp - 3
    for again_table in (table, _table(keep, backend)):  # the same worker, and a fresh one after a restart
        again = await keep.say(again_table, "I grab the goblin's wrist.", author=ANN[0], name=ANN[1],
                               message_id=990_401)  # fmt: skip
        assert again.replayed and again.text == first.text
    assert len(backend.requests) == 2  # no third generation
    assert await keep.stored() == (version, state)  # the damage was not dealt twice
    turns = await _turns(keep)
    assert len(turns) == 2
    assert await _message(keep, 990_401) == {"processed": True, "turn_id": turns[0]["id"]}
    count = await keep.db.fetch_value("SELECT count(*) FROM message_history WHERE discord_message_id = 990401")
    assert count == 1

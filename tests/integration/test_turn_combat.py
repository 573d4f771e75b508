"""The engine speaks the mechanics: attacks and spells the model proposes, resolved by the `!attack`/`!cast`
code on the real Table and PostgreSQL, with the real SRD; cited sources; numbers in prose the engine did
not produce. The scripted backend plays the model."""

from __future__ import annotations

import io
import json
from typing import Any

from dm.table import Table
from dm.turn import DMTurn
from fights import goblin_first
from game.creation import create_character, standard_array
from game.effects import Creature, GameState
from gateway.console import ConsoleGame, Transcript, reply_text
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog

SEED = 3
CRIT_MESSAGE = 881_010  # seed 3 + this id: the first d20 of the turn is a natural 20 (see test_rolls)


def _reply(narrative: str, **parts: Any) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": [], **parts}}


def _heroes(brakka_player: int = 31, mira_player: int = 32) -> dict[str, Any]:
    brakka = create_character("Brakka", "dwarf", "fighter",
                              standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}),
                              ["athletics", "perception"], player_id=brakka_player)  # fmt: skip
    mira = create_character("Mira", "elf", "wizard",
                            standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8}),
                            ["arcana", "history"], subrace="high elf", player_id=mira_player)  # fmt: skip
    brakka.id, mira.id = "brakka", "mira"
    return {"brakka": brakka, "mira": mira}


async def _save(keep: Any, state: GameState) -> None:
    loaded = await keep.repo.load(keep.campaign.id)
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=state.to_dict())  # fmt: skip


async def _party(keep: Any, *, goblin_hp: int = 30, slots: int | None = None, turn: str | None = None,
                 players: tuple[int, int] = (31, 32)) -> GameState:  # fmt: skip
    """Brakka (fighter), Mira (wizard) and a sturdy goblin; optionally Mira's slots left and a fight on `turn`."""
    heroes = _heroes(*players)
    if slots is not None:
        heroes["mira"].spell_slots = heroes["mira"].spell_slots.model_copy(update={"current": {1: slots}})
    goblin = Creature(id="goblin-1", name="Goblin", hp=goblin_hp, max_hp=goblin_hp, armor_class=15, dexterity=14)
    combat = goblin_first(turn)
    state = GameState(characters=heroes, creatures={"goblin-1": goblin}, location="Saltmere", combat=combat)
    await _save(keep, state)
    return state


def _table(keep: Any, backend: ScriptedBackend, rules: Any = None) -> Table:
    return Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=SEED, rules=rules,
                 narrator=DMTurn(backend))  # fmt: skip


async def _turn(keep: Any) -> dict[str, Any]:
    rows = await keep.db.fetch_all("SELECT reply_text, effects, context FROM dm_turns ORDER BY id")
    return rows[-1]


async def test_an_attack_is_resolved_by_the_engine_a_natural_20_doubles_the_dice_and_the_damage_lands(
    keep: Any, rules: Any
) -> None:
    await _party(keep)
    backend = ScriptedBackend([
        _reply("Brakka lunges.", rolls=[{"who": "Brakka", "kind": "attack", "target": "the goblin",
                                         "weapon": "longsword"}]),
        # the narrating pass also proposes the damage itself: the dice already did
        _reply("Brakka's longsword bites deep into the goblin.", effects=[
            {"kind": "hp_change", "target": "Goblin", "amount": -4, "damage_type": "slashing"}]),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend, rules), "I attack the goblin!", author=31,
                           message_id=CRIT_MESSAGE)
    turn = await _turn(keep)
    (roll,) = turn["context"]["rolls"]
    assert roll["crit"] and roll["dice"]["attack"] == [20] and roll["modifier"] == 4  # +2 Str, +2 proficiency
    damage = roll["dice"]["damage"]
    assert len(damage) == 2 and all(1 <= d <= 8 for d in damage)  # 1d8 doubled on the critical hit
    dealt = sum(damage) + 2  # the Strength modifier once
    _, state = await keep.stored()
    assert state.creatures["goblin-1"].hp == 30 - dealt
    assert f"Brakka critically hits Goblin with a Longsword — 24 (+4) vs AC 15" in reply.text
    assert f"— {dealt} slashing (30 → {30 - dealt} HP)" in reply.text
    assert [(a["kind"], a["target"]) for a in reply.applied] == [("hp_change", "goblin-1")]
    (dupe,) = reply.refused  # the model's own hp_change on the goblin is not a second blow
    assert dupe["kind"] == "hp_change" and "already resolved by the dice" in dupe["summary"]
    told = backend.requests[1].messages[-1]["content"]
    assert "critically hits Goblin" in told and f"{30 - dealt} HP" in told
    (longsword,) = turn["context"]["sources"]  # the SRD weapon the engine applied
    assert longsword["name"] == "Longsword" and longsword["page"] > 0 and reply.sources == (longsword,)


async def test_a_weak_hit_that_drops_the_goblin_says_it_falls_and_a_miss_changes_nothing(keep: Any) -> None:
    await _party(keep, goblin_hp=1)
    backend = ScriptedBackend([
        _reply("Steel flashes.", rolls=[{"who": "Brakka", "kind": "attack", "target": "goblin"}]),
        _reply("The blow lands, or does not."),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "I attack.", author=31, message_id=CRIT_MESSAGE)
    assert "it falls" in reply.text and "(1 → 0 HP)" in reply.text  # the best weapon: the longsword in hand
    _, state = await keep.stored()
    assert state.creatures["goblin-1"].dead


async def test_a_spell_spends_its_slot_and_its_damage_is_applied(keep: Any, rules: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([
        _reply("Mira raises her hand.", rolls=[{"who": "Mira", "kind": "spell", "spell": "magic missile",
                                                "target": "Goblin", "slot_level": 1}]),
        _reply("Three darts of light streak into the goblin."),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend, rules), "I cast magic missile at the goblin.", author=32)
    _, state = await keep.stored()
    assert state.characters["mira"].spell_slots.current[1] == 1
    hp = state.creatures["goblin-1"].hp
    assert 30 - 15 <= hp <= 30 - 6  # 3 darts of 1d4+1 force
    assert "Mira casts Magic Missile (1st-level slot, 1 left) — Goblin: 3 darts" in reply.text
    assert f"(30 → {hp} HP)" in reply.text
    assert [a["kind"] for a in reply.applied] == ["slot_spend", "hp_change"] and not reply.refused
    (cited,) = [s for s in reply.sources if s["name"] == "Magic Missile"]
    assert cited["kind"] == "srd" and isinstance(cited["page"], int) and cited["page"] > 0


async def test_a_spell_without_a_slot_fizzles_in_world_and_changes_nothing(keep: Any, rules: Any) -> None:
    await _party(keep, slots=0)
    version, before = await keep.stored()
    backend = ScriptedBackend([
        _reply("Mira raises her hand.", rolls=[{"who": "Mira", "kind": "spell", "spell": "magic missile",
                                                "target": "Goblin"}]),
        _reply("Mira's fingers crackle, then nothing."),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend, rules), "I cast magic missile.", author=32)
    assert "Mira's Magic Missile fizzles — no spell slots of 1st level or higher left" in reply.text
    assert [r["kind"] for r in reply.refused] == ["spell"] and not reply.applied
    assert "fizzles" in backend.requests[1].messages[-1]["content"]  # the model narrates the fizzle
    _, after = await keep.stored()
    assert after.creatures == before.creatures and after.characters["mira"].spell_slots.current[1] == 0


async def test_a_monster_attacks_on_its_turn_with_its_stat_block_and_only_then(keep: Any, rules: Any) -> None:
    await _party(keep, turn="goblin-1")
    backend = ScriptedBackend([
        _reply("The goblin darts in.", rolls=[
            {"who": "Goblin", "kind": "attack", "target": "Brakka", "weapon": "scimitar"},
            {"who": "Brakka", "kind": "attack", "target": "Goblin"}]),  # not Brakka's turn
        _reply("The goblin's blade flickers."),
    ])  # fmt: skip
    reply = await keep.say(_table(keep, backend, rules), "We brace ourselves.", author=31)
    turn = await _turn(keep)
    goblin, brakka = turn["context"]["rolls"]
    assert goblin["modifier"] == 4 and goblin["dc"] == 18 and "Goblin" in goblin["result"]  # +4 to hit vs AC 18
    assert "with a Scimitar" in goblin["result"]
    _, state = await keep.stored()
    if goblin["success"]:
        taken = sum(goblin["dice"]["damage"]) + 2  # 1d6 + 2 slashing, doubled dice on a 20
        assert state.characters["brakka"].hp == 14 - taken
    else:
        assert state.characters["brakka"].hp == 14
    assert brakka["problem"] == "it is Goblin's turn in the fight, not Brakka's"
    assert state.creatures["goblin-1"].hp == 30
    assert any("Goblin's turn" in r["summary"] for r in reply.refused)


async def test_sources_are_carried_rendered_and_written_to_the_transcript(keep: Any, rules: Any) -> None:
    from gateway.console import player_id_for

    await _party(keep, players=(player_id_for("bob"), player_id_for("ann")))
    backend = ScriptedBackend([
        _reply("Mira recalls the spell.", rule_lookups=[{"kind": "spell", "name": "fireball"}]),
        _reply("A bead of flame could end this fight, Mira knows."),
    ])  # fmt: skip
    out = io.StringIO()
    game = ConsoleGame(_table(keep, backend, rules), keep.channel, owner="dm", transcript=Transcript(out))
    (text,) = await game.say("ann", "What does a fireball do?")
    (reply,) = game.last_replies
    (fireball,) = reply.sources
    assert fireball["name"] == "Fireball" and fireball["title"] == "SRD 5.1" and fireball["page"] > 0
    assert text.endswith(f"Sources: SRD 5.1 p. {fireball['page']} (Fireball)") and reply_text(reply) == text
    record = json.loads(out.getvalue().splitlines()[-1])
    assert record["kind"] == "narrative" and record["sources"] == [fireball]
    assert (await _turn(keep))["context"]["sources"] == [fireball]


async def test_numbers_in_prose_the_engine_did_not_produce_are_counted_and_struck_from_damage(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("The goblin takes 23 damage; 3rd-level magic hums and seven crows watch "
                                      "from the Saltmere wall, all 97 of them.")])  # fmt: skip
    reply = await keep.say(_table(keep, backend), "I look around.", author=31)
    assert reply.text.startswith("The goblin takes damage; 3rd-level magic hums")
    assert "all 97 of them" in reply.text  # flagged, but not in a mechanical phrase: left as written
    context = (await _turn(keep))["context"]
    assert context["prose_numbers"] == 2 and context["prose_numbers_seen"] == ["23", "97"]

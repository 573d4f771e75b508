"""The combat gate in a real Session on the real Table and PostgreSQL, the scripted model and a manual clock:
out-of-turn actions denied with the order (no model call), questions answered without using a turn or
changing anything, the current player's action resolved and the turn passed, a goblin's turn taken by the DM
at once (the model's pick, or the engine's without a usable model), the turn clock's nudge then Dodge and pass,
and "previously on" for a player back after a long gap."""

from __future__ import annotations

from typing import Any

from dm.combat_gate import whose_turn
from dm.session import ManualClock, Session, SessionConfig
from dm.table import PlayerMessage, Table, TableReply
from dm.turn import DMTurn
from fights import goblin_first
from game.creation import create_character, standard_array
from game.effects import Creature, GameState
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog

BRAKKA, MIRA = 31, 32
TIMEOUT = 60.0


def _reply(narrative: str, **parts: Any) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": [], **parts}}


async def _party(keep: Any, turn: str | None, players: tuple[int, int] = (BRAKKA, MIRA)) -> GameState:
    """Brakka (fighter, player 31), Mira (wizard, player 32) and a goblin; a fight on `turn` (None: no fight)."""
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    brakka = create_character("Brakka", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=players[0])
    mira = create_character("Mira", "elf", "wizard", standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12,
                            "cha": 10, "str": 8}), ["arcana", "history"], subrace="high elf", player_id=players[1])
    brakka.id, mira.id = "brakka", "mira"
    goblin = Creature(id="goblin-1", name="Goblin", hp=30, max_hp=30, armor_class=15, dexterity=14)
    combat = goblin_first(turn)
    state = GameState(characters={"brakka": brakka, "mira": mira}, creatures={"goblin-1": goblin},
                      location="Saltmere", combat=combat)  # fmt: skip
    loaded = await keep.repo.load(keep.campaign.id)
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=state.to_dict())  # fmt: skip
    return state


class Play:
    """A Session on a fresh Table over the keep, its manual clock and everything it sent."""

    def __init__(self, keep: Any, backend: ScriptedBackend, rules: Any = None, **config: Any) -> None:
        self.keep, self.backend = keep, backend
        self.table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3, rules=rules,
                           narrator=DMTurn(backend))  # fmt: skip
        self.clock = ManualClock()
        self.sent: list[TableReply] = []
        self.session = Session(self.table, keep.channel, config=SessionConfig(turn_timeout_s=TIMEOUT, **config),
                               clock=self.clock, send=self._send)  # fmt: skip
        self._ids = iter(range(910_000, 990_000))

    async def _send(self, replies: list[TableReply]) -> None:
        self.sent += replies

    async def say(self, author: int, text: str) -> list[TableReply]:
        name = {BRAKKA: "bob", MIRA: "ann"}.get(author, "pat")
        return await self.session.receive(PlayerMessage(self.keep.channel, next(self._ids), author, name, text))

    async def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.session.tick()

    async def stored(self) -> GameState:
        return (await self.keep.stored())[1]

    async def turns(self) -> list[dict[str, Any]]:
        return await self.keep.db.fetch_all("SELECT backend, reply_text, effects, context FROM dm_turns ORDER BY id")

    async def pending(self) -> list[Any]:
        return await MessageLog(self.keep.db).pending(self.keep.channel, limit=50)


async def test_an_action_out_of_turn_is_denied_with_the_order_and_no_model_call(keep: Any) -> None:
    before = await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([_reply("never asked")]))
    (denial,) = await play.say(MIRA, "I cast magic missile at the goblin!")
    assert denial.kind == "denial" and denial.result is not None
    reason = denial.result.reason  # type: ignore[union-attr]
    assert "Mira" in reason and "Brakka's turn" in reason
    assert "Goblin (15), Brakka (12) ← now, Mira (8)" in reason
    assert play.backend.requests == []  # the engine denied it: no model call
    assert await play.stored() == before and await play.pending() == []  # answered (the denial), nothing changed
    (watcher,) = await play.say(77, "I throw a rock at the goblin")
    assert watcher.kind == "denial" and play.backend.requests == []


async def test_a_question_mid_combat_is_answered_and_changes_nothing(keep: Any) -> None:
    before = await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([
        # the model answers, and also (wrongly) proposes a blow and a change: a question changes nothing
        _reply("You have two 1st-level slots left, Mira.", rolls=[
            {"who": "Mira", "kind": "spell", "spell": "magic missile", "target": "Goblin", "slot_level": 1}],
            effects=[{"kind": "hp_change", "target": "goblin-1", "amount": -5}]),
    ]))  # fmt: skip
    (answer,) = await play.say(MIRA, "How many spell slots do I have left?")
    assert answer.kind == "narrative" and "two 1st-level slots" in answer.text
    assert not answer.applied and len(play.backend.requests) == 1  # no roll, so no narrating pass
    assert "It uses no turn" in play.backend.requests[0].messages[-1]["content"]
    after = await play.stored()
    assert after == before  # same hp, slots, and turn
    assert whose_turn(after).id == "brakka"  # type: ignore[union-attr]
    assert await play.pending() == []
    (turn,) = await play.turns()
    assert turn["context"]["rolls"] == [] and not any(e.get("accepted") for e in turn["effects"])


async def test_the_current_players_action_is_resolved_and_the_turn_passes(keep: Any) -> None:
    await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([
        _reply("Brakka swings.", rolls=[{"who": "Brakka", "kind": "attack", "target": "Goblin"}]),
        _reply("Steel meets goblin hide."),
    ]))  # fmt: skip
    (reply,) = await play.say(BRAKKA, "I swing my longsword at the goblin.")
    assert reply.kind == "narrative" and "Round 1: it is Mira's turn." in reply.text
    assert [a["kind"] for a in reply.applied][-1] == "turn_advance"
    state = await play.stored()
    assert whose_turn(state).id == "mira"  # type: ignore[union-attr]
    (turn,) = await play.turns()
    (roll,) = turn["context"]["rolls"]
    assert roll["who"] == "Brakka"
    hit = 30 - state.creatures["goblin-1"].hp
    assert (hit > 0) == bool(roll["success"])
    assert await play.pending() == []


async def test_a_models_own_turn_advance_is_not_doubled(keep: Any) -> None:
    await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([
        _reply("Brakka steps back and lets Mira work.", effects=[{"kind": "turn_advance", "actor": "brakka"}]),
    ]))  # fmt: skip
    await play.say(BRAKKA, "I step back and let Mira work.")
    assert whose_turn(await play.stored()).id == "mira"  # type: ignore[union-attr]


async def test_after_the_last_player_the_goblins_turn_is_taken_by_the_dm_at_once(keep: Any, rules: Any) -> None:
    await _party(keep, turn="mira")
    play = Play(keep, ScriptedBackend([
        _reply("Mira watches the goblin warily."),  # Mira's action: nothing to roll
        _reply("The goblin darts in.", rolls=[{"who": "Goblin", "kind": "attack", "target": "Brakka",
                                               "weapon": "scimitar"}]),  # the goblin's turn: the model picks
        _reply("The goblin's blade flickers at Brakka."),  # the narrating pass
    ]), rules)  # fmt: skip
    replies = await play.say(MIRA, "I keep my eyes on the goblin.")
    assert [r.kind for r in replies] == ["narrative", "narrative"]
    assert "it is Goblin's turn" in replies[0].text
    assert "Round 2: it is Brakka's turn." in replies[1].text
    assert len(play.backend.requests) == 3
    assert "It is Goblin's turn in the fight" in play.backend.requests[1].messages[-1]["content"]
    state = await play.stored()
    turn = whose_turn(state)
    assert turn is not None and turn.id == "brakka" and turn.round == 2
    goblin_turn = (await play.turns())[-1]
    (roll,) = goblin_turn["context"]["rolls"]
    assert goblin_turn["context"]["driver"] == "creature" and "with a Scimitar" in roll["result"]
    assert state.characters["brakka"].hp < 14 if roll["success"] else state.characters["brakka"].hp == 14


async def test_with_no_usable_model_the_engine_takes_the_goblins_turn(keep: Any, rules: Any) -> None:
    await _party(keep, turn="goblin-1")
    play = Play(keep, ScriptedBackend([{"error": "unavailable"}]), rules)
    await play.wait(0.25)  # the session's tick: the goblin's turn is due now
    (told,) = play.sent
    assert "Goblin lunges at Brakka" in told.text and "Round 1: it is Brakka's turn." in told.text
    state = await play.stored()
    assert whose_turn(state).id == "brakka"  # type: ignore[union-attr]
    (turn,) = await play.turns()
    assert turn["backend"] == "engine" and turn["context"]["rolls"][0]["who"] == "Goblin"
    await play.wait(0.25)
    assert len(play.sent) == 1  # a player's turn now: nothing more happens on its own


async def test_the_turn_clock_nudges_then_the_absent_character_dodges_and_the_turn_passes(keep: Any) -> None:
    await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([_reply("never asked")]))
    await play.wait(0.0)
    await play.wait(TIMEOUT - 1)
    assert play.sent == []
    await play.wait(1)
    (nudge,) = play.sent
    assert "waiting on Brakka" in nudge.text and "Dodge" in nudge.text
    assert whose_turn(await play.stored()).id == "brakka"  # type: ignore[union-attr]
    await play.wait(TIMEOUT)
    dodge = play.sent[1]
    assert "Brakka hangs back and takes the Dodge action" in dodge.text and "Mira's turn" in dodge.text
    assert [a["kind"] for a in dodge.applied] == ["dodge", "turn_advance"]
    assert whose_turn(await play.stored()).id == "mira"  # type: ignore[union-attr]
    assert (await play.stored()).combat.dodging == ("brakka",)  # type: ignore[union-attr]  # stored, engine-tracked
    assert play.backend.requests == []
    await play.wait(TIMEOUT / 2)
    assert len(play.sent) == 2  # Mira's clock started afresh when her turn began


async def test_a_player_who_speaks_is_not_absent(keep: Any) -> None:
    await _party(keep, turn="brakka")
    play = Play(keep, ScriptedBackend([_reply("The goblin has a scratch on its cheek.")]))
    await play.wait(0.0)
    await play.wait(TIMEOUT - 5)
    await play.say(BRAKKA, "Does the goblin look hurt?")
    await play.wait(10)
    assert play.sent == []  # the clock started again when Brakka asked


async def test_a_player_back_after_a_long_gap_gets_a_previously_on_recap(keep: Any) -> None:
    await _party(keep, turn=None)
    play = Play(keep, ScriptedBackend([
        _reply("The harbour bell tolls as Brakka and Mira reach the Saltmere docks."),
        {"summary": "Brakka and Mira reached the Saltmere docks as the harbour bell tolled at dusk."},
        _reply("The tide turns."),
    ]), recap_after_s=3600)  # fmt: skip
    await play.say(MIRA, "We walk to the docks.")
    await play.session.flush()
    play.sent.clear()
    play.clock.advance(4000)
    await play.say(MIRA, "I'm back, what did I miss?")
    recap = play.sent[0]
    assert recap.text.startswith("Welcome back, ann. Previously on Lantern Keep:")
    assert "Saltmere docks" in recap.text
    await play.session.flush()  # the returning player's line is answered before the fixture empties the tables


async def test_a_table_with_no_dm_leaves_the_goblin_to_the_owner(keep: Any, rules: Any) -> None:
    before = await _party(keep, turn="goblin-1")
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3, rules=rules)  # no narrator
    session = Session(table, keep.channel, config=SessionConfig(turn_timeout_s=TIMEOUT), clock=ManualClock())
    await session.tick()
    assert (await keep.stored())[1] == before  # commands only: the owner runs the goblin (!skip, commands)


async def test_a_goblins_turn_left_by_a_command_is_taken_before_the_next_player_speaks(keep: Any, rules: Any) -> None:
    await _party(keep, turn="goblin-1")  # e.g. `!next` passed the turn to the goblin; no tick came since
    play = Play(keep, ScriptedBackend([{"error": "unavailable"}]), rules)
    replies = await play.say(BRAKKA, "I raise my shield and step up!")
    assert "Goblin lunges at Brakka" in replies[0].text  # the goblin first (the engine's pick: no model)
    assert replies[-1].kind == "narrative" and len(replies) == 2  # then Brakka's action (the model's apology)
    turn = whose_turn(await play.stored())
    assert turn is not None and turn.id == "brakka"  # the apology changed nothing: still Brakka's turn


async def test_the_gate_through_a_console_script(keep: Any, rules: Any) -> None:
    """The console's own path (`lorekeeper play --script`): its session, virtual clock and transcript."""
    import io
    import json

    from gateway.console import ConsoleGame, Transcript, player_id_for

    await _party(keep, turn="brakka", players=(player_id_for("bob"), player_id_for("ann")))
    backend = ScriptedBackend([_reply("The goblin circles, blade low.")])  # every DM turn: one plain answer
    table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=player_id_for("dm"), seed=3, rules=rules,
                  narrator=DMTurn(backend))  # fmt: skip
    out = io.StringIO()
    game = ConsoleGame(table, keep.channel, owner="dm", transcript=Transcript(out),
                       config=SessionConfig(turn_timeout_s=TIMEOUT))  # fmt: skip
    await game.say("ann", "I hurl a dagger at the goblin!")  # Brakka's turn: denied, no model call
    assert game.last_replies[0].kind == "denial" and backend.requests == []
    await game.say("ann", "Is the goblin bleeding?")  # a question: answered, no turn used
    assert len(backend.requests) == 1 and whose_turn(table.state_of(keep.channel)).id == "brakka"  # type: ignore
    await game.say("bob", "I shove the goblin back.")  # Brakka's action: the turn passes to Mira
    assert whose_turn(table.state_of(keep.channel)).id == "mira"  # type: ignore[union-attr]
    await game.wait(2 * TIMEOUT)  # Mira is away: a nudge, then the Dodge; the goblin's turn follows at once
    turn = whose_turn(table.state_of(keep.channel))
    assert turn is not None and turn.id == "brakka" and turn.round == 2
    kinds = [json.loads(line)["kind"] for line in out.getvalue().splitlines()]
    assert kinds.count("denial") == 1 and kinds.count("player") == 3
    texts = [json.loads(line)["text"] for line in out.getvalue().splitlines()]
    assert any("waiting on Mira" in t for t in texts) and any("Mira hangs back" in t for t in texts)

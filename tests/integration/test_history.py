"""History on the real PostgreSQL with the scripted backend: rolling summaries every N turns, `!recap`,
`!whisper` kept out of every other character's context, SRD entries for what the players name, and
the budget report in the turn's record."""

from __future__ import annotations

import io
import json
from typing import Any

from dm.commands.recap import Recapped
from dm.commands.results import Refusal
from dm.commands.whisper import Whispered
from dm.history import SUMMARY_SCHEMA
from dm.table import Table
from dm.turn import DMTurn
from game.effects import GameState
from gateway.console import ConsoleGame, Transcript, player_id_for
from gateway.render.text import render_text
from dm_party import saltmere_party  # noqa: E402 - tests/integration is on sys.path
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog

SECRET = "I pocket the ruby from the altar"


def _reply(narrative: str, **parts: Any) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": [], **parts}}


def _summary(text: str) -> dict[str, Any]:
    return {"reply": {"summary": text}}


async def _party(keep: Any) -> None:
    """Brakka (player 31), Mira (32) and a goblin, saved to the campaign."""
    await saltmere_party(keep)


def _table(keep: Any, turn: DMTurn | None, rules: Any = None) -> Table:
    return Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3, rules=rules, narrator=turn)


def _prompt(backend: ScriptedBackend, index: int) -> str:
    return "\n".join(m["content"] for m in backend.requests[index].messages)


async def _summaries(keep: Any) -> list[dict[str, Any]]:
    return await keep.db.fetch_all("SELECT * FROM turn_summaries ORDER BY id")


async def test_a_rolling_summary_every_n_turns_replaces_the_lines_it_covers(keep: Any) -> None:
    await _party(keep)
    chronicle = "Brakka opened the sea gate of Saltmere, listened to the gulls and waited for the tide to turn."
    backend = ScriptedBackend([_reply("The gate creaks open."), _reply("Gulls cry overhead."),
                               _reply("The tide turns."), _summary(chronicle), _reply("Rain begins to fall.")])
    table = _table(keep, DMTurn(backend, summary_every=3))
    for text in ("I open the gate.", "I listen.", "I wait for the tide."):
        reply = await keep.say(table, text)
        assert reply.kind == "narrative"
    assert len(backend.requests) == 4 and backend.requests[3].schema == SUMMARY_SCHEMA
    asked = _prompt(backend, 3)
    assert "I open the gate." in asked and "The gate creaks open." in asked and "The tide turns." in asked
    (row,) = await _summaries(keep)
    turns = await keep.db.fetch_all("SELECT id, context FROM dm_turns ORDER BY id")
    assert row["text"] == chronicle and row["turns"] == 3 and row["through_turn_id"] == turns[-1]["id"]
    fourth = await keep.say(table, "I look up at the sky.")
    assert fourth.text.startswith("Rain begins")
    prompt = _prompt(backend, 4)
    assert chronicle in prompt and "I open the gate." not in prompt and "The gate creaks open." not in prompt
    budget = (await keep.db.fetch_all("SELECT context FROM dm_turns ORDER BY id"))[-1]["context"]["budget"]
    assert budget["parts"]["summary"] > 0 and budget["used"] <= budget["budget"] and budget["kept"]["recent"] == 0
    second = turns[1]["context"]["budget"]
    assert second["kept"]["recent"] == 2 and second["parts"]["recent"] > 0  # turn 2 saw turn 1's two lines


async def test_a_summary_failure_never_fails_the_turn_and_is_retried_n_turns_later(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("One."), _reply("Two."), {"error": "unavailable"}, _reply("Three."),
                               _reply("Four."), {"text": "not json"}, _reply("Five."), _reply("Six."),
                               _summary("The party counted to six in the rain at Saltmere.")])  # fmt: skip
    table = _table(keep, DMTurn(backend, summary_every=2))
    await keep.say(table, "I count.")
    second = await keep.say(table, "I count again.")
    assert second.text.startswith("Two.") and await _summaries(keep) == []
    assert (await keep.say(table, "And again.")).text.startswith("Three.")  # no second try after turn 3
    assert (await keep.say(table, "Four.")).text.startswith("Four.") and await _summaries(keep) == []
    assert (await keep.say(table, "Five.")).text.startswith("Five.")
    assert (await keep.say(table, "Six.")).text.startswith("Six.")
    (row,) = await _summaries(keep)
    assert row["turns"] == 6 and row["text"].startswith("The party counted") and len(backend.requests) == 9


async def test_consecutive_turns_on_the_database_share_their_prompt_prefix(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("The gate creaks."), _reply("Gulls cry."), _reply("The tide turns.")])
    table = _table(keep, DMTurn(backend, summary_every=0))
    for author, name, text in ((31, "bob", "I open the gate."), (32, "ann", "I follow."), (31, "bob", "I wait.")):
        await keep.say(table, text, author=author, name=name)
    first, second, third = (backend.requests[i].messages for i in range(3))
    assert first[:2] == second[:2] == third[:2] and len(first) == 3 and len(second) == len(third) == 4
    assert third[2]["content"].startswith(second[2]["content"])  # the history message only grew
    assert second[2]["content"].endswith("DM: The gate creaks.")
    assert "ann (playing Mira): I follow." in third[2]["content"]


async def test_a_whisper_is_answered_privately_and_kept_out_of_the_others_context(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("The ruby is warm in your palm; nobody saw."), _reply("Mira finds only dust."),
                               _reply("Brakka sees gulls."), _reply("The ruby hums again, softly.")])  # fmt: skip
    table = _table(keep, DMTurn(backend, summary_every=0))
    reply = await keep.say(table, f"!whisper {SECRET}", author=31, name="bob", message_id=990_001)
    assert reply.kind == "whisper" and isinstance(reply.result, Whispered)
    assert reply.result.answer.startswith("The ruby is warm") and reply.result.visible_to == (31,)
    assert render_text(reply.result).startswith("[private, for bob (Brakka) only] The ruby is warm")
    first = _prompt(backend, 0)
    assert "A private word with the DM from bob" in first and SECRET in first
    row = await keep.db.fetch_one("SELECT visible_to, processed FROM message_history WHERE discord_message_id = %s",
                                  (990_001,))  # fmt: skip
    assert row == {"visible_to": [31], "processed": True}
    other = await keep.say(table, "I search the altar.", author=32, name="ann")
    assert other.text.startswith("Mira finds")
    assert "ruby" not in _prompt(backend, 1) and "The ruby is warm" not in _prompt(backend, 1)
    mine = await keep.say(table, "I look around.", author=31, name="bob")  # a public turn is public for bob too
    assert mine.text.startswith("Brakka sees") and "ruby" not in _prompt(backend, 2)
    again = await keep.say(table, "!whisper Does the ruby do anything?", author=31, name="bob")
    assert again.kind == "whisper" and again.result.answer.startswith("The ruby hums")
    mine_again = _prompt(backend, 3)
    assert SECRET in mine_again and "The ruby is warm in your palm" in mine_again
    assert "Mira finds only dust" in mine_again  # the public story too
    log = MessageLog(keep.db)
    assert all("ruby" not in m.content for m in await log.recent(keep.channel))
    assert any(SECRET in m.content for m in await log.recent(keep.channel, viewer=31))
    assert all("ruby" not in m.content for m in await log.recent(keep.channel, viewer=32))
    redelivered = await keep.say(table, f"!whisper {SECRET}", author=31, name="bob", message_id=990_001)
    assert redelivered.replayed and redelivered.kind == "whisper" and len(backend.requests) == 4


async def test_summaries_and_recaps_never_hold_a_whisper(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("The ruby is yours."), _reply("The hall is quiet."), _reply("Dust settles."),
                               _summary("Brakka and Mira explored the quiet hall of the Lantern Keep."),
                               _summary("Previously: the heroes explored the quiet hall of the Lantern Keep."),
                               _reply("The ruby glows when you think of the sea.")])  # fmt: skip
    table = _table(keep, DMTurn(backend, summary_every=2))
    await keep.say(table, f"!whisper {SECRET}", author=31, name="bob")
    await keep.say(table, "I walk the hall.", author=32, name="ann")
    await keep.say(table, "I sweep the floor.", author=31, name="bob")
    assert backend.requests[3].schema == SUMMARY_SCHEMA and "ruby" not in _prompt(backend, 3)
    recap = await keep.say(table, "!recap", author=32, name="ann")
    assert isinstance(recap.result, Recapped) and recap.result.source == "model" and recap.result.turns == 2
    assert recap.result.text.startswith("Previously: the heroes") and "ruby" not in _prompt(backend, 4)
    assert render_text(recap.result).startswith("Previously on Lantern Keep (2 turns so far):")
    later = await keep.say(table, "!whisper What else can the ruby do?", author=31, name="bob")
    asked = _prompt(backend, 5)  # bob's private knowledge outlives the summary that left it out
    assert later.kind == "whisper" and SECRET in asked and "The ruby is yours." in asked
    assert "Brakka and Mira explored the quiet hall" in asked


async def test_recap_falls_back_to_the_stored_story_and_says_when_there_is_none(keep: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([{"error": "unavailable"}])
    table = _table(keep, DMTurn(backend))
    empty = await keep.say(table, "!recap")
    assert isinstance(empty.result, Recapped) and empty.result.source == "empty" and empty.result.text == ""
    assert "nothing yet" in render_text(empty.result)
    told = ScriptedBackend([_reply("The lantern gutters in the wind.")])
    await keep.say(_table(keep, DMTurn(told)), "I watch the lantern.")
    stored = await keep.say(table, "!recap")
    assert stored.result.source == "stored" and "The lantern gutters" in stored.result.text
    bad = await keep.say(table, "!recap everything please")
    assert isinstance(bad.result, Refusal) and "!recap" in bad.result.reason  # it takes no arguments


async def test_a_whisper_needs_words_and_a_storyteller(keep: Any) -> None:
    await _party(keep)
    version, state = await keep.stored()
    empty = await keep.say(_table(keep, DMTurn(ScriptedBackend([_reply("unused")]))), "!whisper", author=31)
    assert isinstance(empty.result, Refusal) and empty.kind == "error"
    nobody = await keep.say(_table(keep, None), "!whisper I hide the key", author=31)
    assert isinstance(nobody.result, Refusal) and "nothing was changed" in nobody.result.reason
    down = await keep.say(_table(keep, DMTurn(ScriptedBackend([{"error": "unavailable"}]))), "!whisper Hello?",
                          author=31)  # fmt: skip
    assert isinstance(down.result, Refusal) and "nothing was changed" in down.result.reason
    assert await keep.stored() == (version, state)


async def test_a_whisper_changes_nothing_even_when_the_model_proposes_changes(keep: Any) -> None:
    await _party(keep)
    version, state = await keep.stored()
    backend = ScriptedBackend([_reply("You feel stronger.", effects=[
        {"kind": "hp_change", "target": "goblin-1", "amount": -7}])])  # fmt: skip
    reply = await keep.say(_table(keep, DMTurn(backend)), "!whisper I pray in secret.", author=31)
    assert reply.result.dropped_effects == 1 and "changes nothing" in render_text(reply.result)
    assert (await keep.stored())[1] == state


async def test_the_console_marks_a_whisper_private_in_print_and_in_the_transcript(keep: Any) -> None:
    await _party(keep)
    loaded = await keep.repo.load(keep.campaign.id)
    state = GameState.from_dict(loaded.state)
    bob = state.characters["brakka"].model_copy(update={"player_id": player_id_for("bob")})
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=state.replace("brakka", bob).to_dict())  # fmt: skip
    stream = io.StringIO()
    table = _table(keep, DMTurn(ScriptedBackend([_reply("Only you hear the sea whisper back.")])))
    game = ConsoleGame(table, keep.channel, owner="dm", transcript=Transcript(stream))
    printed: list[str] = []
    await game.run(["bob: !whisper I listen to the sea"], printed.append)
    assert printed == ["DM: [private, for bob (Brakka) only] Only you hear the sea whisper back."]
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["kind"] for r in records] == ["command", "whisper"]
    assert records[1]["text"].endswith("Only you hear the sea whisper back.")


async def test_the_srd_entries_the_players_name_are_looked_up_for_the_prompt(keep: Any, rules: Any) -> None:
    await _party(keep)
    backend = ScriptedBackend([_reply("Flame blossoms among the goblins.")])
    table = _table(keep, DMTurn(backend), rules)
    await keep.say(table, "I cast fireball at the goblin, hoping it ends up prone.", author=32, name="ann")
    prompt = backend.requests[0].messages[-1]["content"]
    assert "SRD 5.1 entries for what the players named" in prompt
    assert "spells Fireball:" in prompt and "8d6" in prompt and "monsters Goblin:" in prompt
    assert "conditions Prone:" in prompt
    (turn,) = await keep.db.fetch_all("SELECT context FROM dm_turns")
    assert turn["context"]["budget"]["parts"]["srd"] > 0


async def test_a_reader_tier_model_writes_no_summary_and_no_recap(keep: Any) -> None:
    from dm.history import maybe_summarise
    from persistence.history import HistoryRepository

    await _party(keep)
    await keep.say(_table(keep, DMTurn(ScriptedBackend([_reply("The lantern gutters in the wind.")]))), "I wait.")
    small = ScriptedBackend([_summary("1976-02-30 false false false false")])
    _, state = await keep.stored()
    store = HistoryRepository(keep.db)
    assert await maybe_summarise(small, store, keep.campaign.id, state, every=1, reader=("scripted",)) is None
    told = await keep.say(_table(keep, DMTurn(small, reader_backends=("scripted",))), "!recap")
    assert told.result.source == "stored" and "The lantern gutters" in told.result.text
    assert small.requests == [] and await _summaries(keep) == []


async def test_a_whisper_shows_no_engine_attack_as_done_since_it_changes_nothing(keep: Any) -> None:
    # The engine resolves attacks and spells whole; a whisper applies nothing, so its private answer must not
    # show "Brakka hits the Goblin ... it falls" for a goblin that stands there unhurt.
    await _party(keep)
    version, state = await keep.stored()
    backend = ScriptedBackend([
        _reply("You strike from the shadows.", rolls=[{"who": "Brakka", "kind": "attack", "target": "goblin"}]),
        _reply("Your blade finds its mark.")])  # fmt: skip
    reply = await keep.say(_table(keep, DMTurn(backend)), "!whisper I stab the goblin while nobody looks.", author=31)
    assert isinstance(reply.result, Whispered)
    assert not any("Goblin" in line for line in reply.result.mechanics), reply.result.mechanics
    assert len(backend.requests) == 1  # the engine rolled nothing, so no pass narrated a blow that never landed
    assert "Your blade finds its mark" not in render_text(reply.result)
    assert await keep.stored() == (version, state)

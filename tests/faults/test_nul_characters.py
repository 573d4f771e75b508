"""Found by the hostile-AI fuzz (test_hostile_ai_json.py): PostgreSQL stores no NUL character in text or
jsonb, so a model reply with a `\\u0000` in an effect's target (or a player line with a NUL in it) made
the turn's save raise: the message stayed unanswered and came back on every recovery (a poison message).
The storage boundary (persistence/messages.py) now drops NUL characters from what it writes."""

from __future__ import annotations

from typing import Any

from faults.fault_helpers import record_output
from inference.scripted import ScriptedBackend
from test_turn_grounding import party, table  # noqa: E402 - tests/integration, put on sys.path by fault_helpers


async def test_a_reply_with_nul_characters_is_answered_and_stored(keep: Any, rules: Any) -> None:
    await party(keep)
    backend = ScriptedBackend([{"reply": {"narrative": "The room\x00 is empty.", "rolls": [], "rule_lookups": [],
                                          "effects": [{"kind": "combat_leave", "target": "brakka\x00"},
                                                      {"kind": "condition_set", "target": "mira",
                                                       "condition": "prone\x00"}]}}])  # fmt: skip
    said = await keep.say(table(keep, backend, rules), "We search the empty room.", author=31, name="brakka")
    record_output("nul", said.text or "")
    assert "is empty." in said.text and len(said.refused) >= 1  # answered (the player sees what the model said)
    row = await keep.db.fetch_one("SELECT reply_text, effects::text AS effects FROM dm_turns")
    assert row is not None and "\x00" not in row["reply_text"] and "\\u0000" not in row["effects"]
    assert await keep.db.fetch_value("SELECT bool_and(processed) FROM message_history") is True


async def test_a_player_line_with_nul_characters_is_answered(keep: Any, rules: Any) -> None:
    await party(keep)
    backend = ScriptedBackend([{"reply": {"narrative": "Nothing stirs.", "rolls": [], "rule_lookups": [],
                                          "effects": []}}])  # fmt: skip
    game = table(keep, backend, rules)
    rolled = await keep.say(game, "!roll 1d20\x00+2", author=31, name="brakka\x00")
    talked = await keep.say(game, "I listen\x00 at the door.", author=31, name="brakka")
    assert rolled.result is not None and talked.text == "Nothing stirs."
    contents = [r["content"] for r in await keep.db.fetch_all("SELECT content FROM message_history ORDER BY id")]
    assert contents == ["!roll 1d20+2", "I listen at the door."]

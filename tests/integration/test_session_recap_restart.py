"""The "previously on" recap survives a restart: when each player last spoke is kept in PostgreSQL (migration
043, a trigger on the message log), so a fresh Session still greets a player who has been away, and does not
greet one who spoke a moment ago."""

from __future__ import annotations

from typing import Any

from dm.session import ManualClock, Session, SessionConfig
from dm.table import PlayerMessage, Table, TableReply
from dm.turn import DMTurn
from game.creation import create_character, standard_array
from game.effects import GameState
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog

MIRA, BRAKKA = 32, 31


def _reply(narrative: str) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": []}}


async def _party(keep: Any) -> None:
    scores = standard_array({"int": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "str": 8})
    mira = create_character("Mira", "elf", "wizard", scores, ["arcana", "history"], subrace="high elf",
                            player_id=MIRA)  # fmt: skip
    brakka = create_character("Brakka", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=BRAKKA)
    mira.id, brakka.id = "mira", "brakka"
    loaded = await keep.repo.load(keep.campaign.id)
    state = GameState(characters={"mira": mira, "brakka": brakka}, location="Saltmere")
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=state.to_dict())  # fmt: skip


class _Play:
    def __init__(self, keep: Any, script: list[dict[str, Any]], first_id: int) -> None:
        self.keep, self.sent = keep, []  # type: ignore[var-annotated]
        table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3,
                      narrator=DMTurn(ScriptedBackend(script)))  # fmt: skip
        self.session = Session(table, keep.channel, config=SessionConfig(recap_after_s=3600), clock=ManualClock(),
                               send=self._send)  # fmt: skip
        self._ids = iter(range(first_id, first_id + 1000))

    async def _send(self, replies: list[TableReply]) -> None:
        self.sent += replies

    async def say(self, author: int, text: str) -> None:
        name = {MIRA: "ann", BRAKKA: "bob"}[author]
        await self.session.receive(PlayerMessage(self.keep.channel, next(self._ids), author, name, text))


async def test_a_restarted_session_still_greets_a_player_who_has_been_away(keep: Any) -> None:
    await _party(keep)
    first = _Play(keep, [_reply("The harbour bell tolls as Mira and Brakka reach the Saltmere docks.")], 930_000)
    await first.say(MIRA, "We walk to the docks.")
    await first.say(BRAKKA, "!my_sheet")  # a command: not counted as talk
    await first.say(BRAKKA, "I follow Mira.")
    await first.session.flush()
    seen = await MessageLog(keep.db).last_seen(keep.channel)
    assert set(seen) == {MIRA, BRAKKA}  # the trigger kept both talkers (the DM's lines are not players)
    await keep.db.execute("UPDATE player_last_seen SET seen_at = seen_at - interval '2 hours' "
                          "WHERE channel_id = %s AND author_id = %s", (keep.channel, MIRA))  # fmt: skip
    # the process restarts: a new table and session, nothing in memory
    again = _Play(keep, [{"summary": "Mira and Brakka reached the Saltmere docks as the harbour bell tolled."},
                         _reply("The tide turns.")], 931_000)  # fmt: skip
    await again.session.recover()
    await again.say(BRAKKA, "I look at the boats.")  # spoke a moment ago (before the restart): no recap
    assert not any(r.text.startswith("Welcome back") for r in again.sent)
    await again.say(MIRA, "I'm back, what did I miss?")
    recaps = [r for r in again.sent if r.text.startswith("Welcome back")]
    assert len(recaps) == 1 and recaps[0].text.startswith("Welcome back, ann. Previously on")
    assert "Saltmere docks" in recaps[0].text
    now = await MessageLog(keep.db).last_seen(keep.channel)
    assert now[MIRA] > seen[MIRA]  # her return is noted too


async def test_without_a_restart_nothing_changes_for_a_player_seen_lately(keep: Any) -> None:
    await _party(keep)
    first = _Play(keep, [_reply("Gulls wheel overhead.")], 932_000)
    await first.say(MIRA, "I watch the gulls.")
    await first.session.flush()
    again = _Play(keep, [_reply("The tide turns.")], 933_000)
    await again.session.recover()
    await again.say(MIRA, "And the boats?")
    await again.session.flush()
    assert not any(r.text.startswith("Welcome back") for r in again.sent)

"""The session (dm.session) on a real Table and the real PostgreSQL, the scripted model and a manual clock:
batching, early close, the cap, one turn in flight, redelivery, recovery."""

from __future__ import annotations

import asyncio
from typing import Any

from dm.session import ManualClock, Session, SessionConfig
from dm.table import PlayerMessage, Table, TableReply
from dm.turn import DMTurn
from game.creation import create_character, standard_array
from game.effects import GameState
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog


def _reply(narrative: str) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": []}}


class _Gated(ScriptedBackend):
    """The scripted model, holding each answer until the test opens the gate (a turn kept in flight)."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        super().__init__(entries)
        self.gate = asyncio.Event()
        self.asked = asyncio.Event()

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        self.asked.set()
        await self.gate.wait()
        return await super().generate(*args, **kwargs)


class _Harness:
    def __init__(self, keep: Any, backend: ScriptedBackend, *, config: SessionConfig | None = None) -> None:
        self.keep, self.backend, self.clock = keep, backend, ManualClock()
        self.sent: list[list[TableReply]] = []
        self.table = Table(store=keep.repo, messages=MessageLog(keep.db), owner_id=1, seed=3,
                           narrator=DMTurn(backend))  # fmt: skip
        self.session = self.new_session(config)

    def new_session(self, config: SessionConfig | None = None) -> Session:
        async def send(replies: list[TableReply]) -> None:
            self.sent.append(replies)

        return Session(self.table, self.keep.channel, config=config or SessionConfig(), clock=self.clock, send=send)

    async def say(self, author: int, text: str, message_id: int, session: Session | None = None) -> list[TableReply]:
        message = PlayerMessage(self.keep.channel, message_id, author, f"p{author}", text)
        return await (session or self.session).receive(message)

    async def at(self, seconds: float) -> None:
        """Move the clock to `seconds` and run the timers (and the turn they start)."""
        self.clock.t = seconds
        await self.session.tick()
        await self.session.idle()

    async def turns(self) -> list[dict[str, Any]]:
        return await self.keep.db.fetch_all("SELECT id, prompt, reply_text FROM dm_turns ORDER BY id")

    async def turn_of(self, message_id: int) -> int | None:
        row = await self.keep.db.fetch_one(
            "SELECT turn_id FROM message_history WHERE discord_message_id = %s AND processed", (message_id,))
        return None if row is None else row["turn_id"]


async def _characters(keep: Any, *players: int) -> None:
    """A character for each player id, saved to the campaign (they can be active players)."""
    scores = standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8})
    characters = {}
    for n, player in enumerate(players):
        hero = create_character(f"Hero{n}", "human", "fighter", scores, ["athletics", "perception"], player_id=player)
        hero.id = f"hero{n}"
        characters[hero.id] = hero
    loaded = await keep.repo.load(keep.campaign.id)
    await keep.repo.save(keep.campaign.id, expected_version=loaded.version, before=loaded.state,
                         after=GameState(characters=characters, location="Saltmere").to_dict())  # fmt: skip


def _prompt_text(turn: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in turn["prompt"])


async def test_three_players_within_two_seconds_get_one_turn_that_answers_all_three(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("The hall answers all three of you.")]))
    for n, (author, line) in enumerate([(31, "I try the door."), (32, "I light a torch."), (33, "I sniff the air.")]):
        h.clock.t = n * 1.0  # 0, 1, 2 s
        assert await h.say(author, line, 900 + n) == []
    await h.at(5.9)  # 3.9 s of quiet: still open
    assert h.sent == [] and await h.turns() == []
    await h.at(6.0)  # 4 s of quiet: one turn
    turns = await h.turns()
    assert len(turns) == 1
    assert [len(batch) for batch in h.sent] == [1] and "all three" in h.sent[0][0].text
    assert {await h.turn_of(m) for m in (900, 901, 902)} == {turns[0]["id"]}
    prompt = _prompt_text(turns[0])
    assert all(line in prompt for line in ("I try the door.", "I light a torch.", "I sniff the air."))
    assert len(h.backend.requests) == 1


async def test_the_batch_closes_early_when_every_active_player_has_spoken(keep: Any) -> None:
    await _characters(keep, 31, 32)
    h = _Harness(keep, ScriptedBackend([_reply("First."), _reply("Second."), _reply("Both of you.")]))
    await h.say(31, "Hello?", 800)  # only 31 is active yet: answered at once
    await h.session.idle()
    await h.say(32, "Me too.", 801)
    await h.at(10.0)  # 32 answered by the quiet window; now 31 and 32 are both active
    assert len(await h.turns()) == 2
    h.clock.t = 11.0
    await h.say(31, "I open the chest.", 802)
    await h.session.idle()
    assert len(await h.turns()) == 2  # 32 has not spoken yet: the batch waits
    await h.say(32, "I watch the door.", 803)
    await h.session.idle()  # no tick, no quiet: the last active player closed it
    turns = await h.turns()
    assert len(turns) == 3 and h.sent[-1][0].text.startswith("Both")
    assert await h.turn_of(802) == await h.turn_of(803) == turns[2]["id"]
    assert h.session.status()["pending"] == 0


async def test_a_chatty_table_is_answered_at_the_cap(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("At last, an answer.")]))
    for n in range(5):  # a line every 3 s (0 .. 12 s): never 4 s of quiet
        await h.at(n * 3.0)
        await h.say(31 + n % 2, f"chatter {n}", 700 + n)
    await h.at(14.9)
    assert await h.turns() == []
    await h.at(15.0)  # the batch opened at 0: capped at 15 s, though the last line is only 3 s old
    turns = await h.turns()
    assert len(turns) == 1 and {await h.turn_of(700 + n) for n in range(5)} == {turns[0]["id"]}


async def test_what_arrives_during_a_turn_goes_into_the_next_batch(keep: Any) -> None:
    backend = _Gated([_reply("Turn one."), _reply("Turn two.")])
    h = _Harness(keep, backend)
    await h.say(31, "I climb the stairs.", 600)
    h.clock.t = 5.0
    await h.session.tick()  # closes the batch; its turn starts and waits on the model
    await asyncio.wait_for(backend.asked.wait(), 10)
    assert h.session.status()["in_flight"] == 1
    await h.say(32, "I follow, quietly.", 601)  # arrives while the turn is written
    rolled = await asyncio.wait_for(h.say(33, "!roll 1d20", 602), 10)  # a command does not wait for the turn
    assert len(rolled) == 1 and rolled[0].kind == "command_result"
    h.clock.t = 10.0
    await h.session.tick()  # the second batch closes but waits: one turn in flight
    assert h.session.status()["queued_batches"] == 1 and len(backend.requests) == 0
    backend.gate.set()
    await h.session.idle()
    turns = await h.turns()
    assert [r[0].text for r in h.sent] == ["Turn one.", "Turn two."]
    assert len(turns) == 2 and await h.turn_of(600) == turns[0]["id"] and await h.turn_of(601) == turns[1]["id"]
    assert "I follow, quietly." not in _prompt_text(turns[0])


async def test_commands_are_answered_at_once_while_talk_waits(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("Later.")]))
    await h.say(31, "I look around.", 500)
    replies = await h.say(31, "!roll 1d20", 501)
    assert len(replies) == 1 and replies[0].result is not None and replies[0].kind == "command_result"
    assert h.sent == [] and h.session.status()["open_batch"] == 1
    await h.session.flush()
    assert len(await h.turns()) == 1 and h.sent[0][0].text == "Later."


async def test_a_redelivered_message_is_dropped(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("Once."), _reply("Twice?")]))
    await h.say(31, "I knock.", 400)
    assert await h.say(31, "I knock.", 400) == []  # the same Discord message, delivered again
    await h.session.flush()
    assert await h.say(31, "I knock.", 400) == []  # and again after it was answered
    assert await h.say(31, "!roll 1d20", 401) != []
    assert await h.say(31, "!roll 1d20", 401) == []  # a redelivered command does not roll again
    fresh = h.new_session()  # a new session (a restart) that never saw it: the database knows
    assert await h.say(31, "I knock.", 400, session=fresh) == []
    assert await h.say(31, "!roll 1d20", 401, session=fresh) == []
    await fresh.flush()
    await h.session.flush()
    assert len(await h.turns()) == 1 and [r[0].text for r in h.sent] == ["Once."]
    assert await keep.db.fetch_one("SELECT count(*) AS n FROM message_history WHERE discord_message_id = 400") == {
        "n": 1}


async def test_recover_answers_the_pending_talk_exactly_once(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("Picked up where we left off.")]))
    await h.say(31, "I pry at the lock.", 300)
    await h.say(32, "I hold the lantern.", 301)
    assert h.sent == []  # the session dies here: its batch never closed
    restarted = h.new_session()
    await restarted.recover()
    assert restarted.status()["open_batch"] == 2
    await restarted.flush()
    again = h.new_session()  # another restart: nothing is pending any more
    await again.recover()
    await again.flush()
    turns = await h.turns()
    assert len(turns) == 1 and [r[0].text for r in h.sent] == ["Picked up where we left off."]
    assert await h.turn_of(300) == await h.turn_of(301) == turns[0]["id"]
    assert await h.table.messages.pending(keep.channel) == []


async def test_recover_runs_a_pending_command_once(keep: Any) -> None:
    h = _Harness(keep, ScriptedBackend([_reply("Unused.")]))
    await h.table.messages.record(channel_id=keep.channel, message_id=200, author_id=31, content="!roll 1d20",
                                  author_name="p31", is_command=True)  # recorded, then the process died
    restarted = h.new_session()
    await restarted.recover()
    assert len(h.sent) == 1 and h.sent[0][0].result is not None
    await h.new_session().recover()
    assert len(h.sent) == 1 and await h.table.messages.pending(keep.channel) == []


async def test_recover_knows_who_spoke_lately(keep: Any) -> None:
    await _characters(keep, 31, 32)
    h = _Harness(keep, ScriptedBackend([_reply("Hm.")]))
    await h.say(31, "Anyone?", 100)
    await h.say(32, "Here.", 101)
    await h.session.flush()
    restarted = h.new_session()
    await restarted.recover()
    state = await h.table.load_state(keep.channel)
    assert restarted.active_players(state) == {31, 32}

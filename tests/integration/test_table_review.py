"""Adversarial review of the table core: two tables (two processes) on one database, redeliveries,
stale caches, the state diff writer's corner cases and the parser's."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import pytest

from dm.commands.registry import REGISTRY, bind_arguments, split_command
from dm.commands.results import Refusal
from dm.table import PlayerMessage, Table, TableReply
from game.creation import create_character, standard_array
from game.effects import GameState, NpcIntroduce
from game.validation import apply_effects
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository, console_channel_id

OWNER, BROM = 1, 11
_ids = itertools.count(900_000)


def _party() -> GameState:
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=BROM)
    brom.id = "pc-11"
    return GameState(characters={"pc-11": brom})


class _Keep:
    """One campaign on one database, played by two tables (as two processes would)."""

    def __init__(self, db: Any, repo: PlayStateRepository, campaign_id: int) -> None:
        self.db, self.repo, self.campaign_id = db, repo, campaign_id
        self.channel = console_channel_id(campaign_id)
        self.a = self.table()
        self.b = self.table()

    def table(self) -> Table:
        return Table(store=self.repo, messages=MessageLog(self.db), owner_id=OWNER, seed=3)

    def msg(self, author: int, text: str, message_id: int | None = None) -> PlayerMessage:
        return PlayerMessage(self.channel, message_id or next(_ids), author, f"p{author}", text)

    async def hp(self) -> int:
        state = GameState.from_dict((await self.repo.load(self.campaign_id)).state)
        return state.characters["pc-11"].hp


@pytest.fixture
async def keep(clean_db: Any) -> _Keep:
    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Review Keep")
    await repo.bind_channel(campaign.id, console_channel_id(campaign.id))
    await repo.save(campaign.id, expected_version=0, before={}, after=_party().to_dict())
    return _Keep(clean_db, repo, campaign.id)


def _field(reply: TableReply, name: str) -> Any:
    assert reply.result is not None, reply
    return getattr(reply.result, name)


# --- versions and stale caches ----------------------------------------------------------------------


async def test_a_read_only_command_on_a_stale_cache_answers_from_the_fresh_state(keep: _Keep) -> None:
    first = await keep.a.handle(keep.msg(BROM, "!my_sheet"))
    full = _field(first[0], "hp")
    version = await keep.repo.version(keep.campaign_id)
    await keep.b.handle(keep.msg(OWNER, "!hp Brom -4"))  # another process wounds Brom
    again = await keep.a.handle(keep.msg(BROM, "!my_sheet"))
    assert _field(again[0], "hp") == full - 4  # not the cached, stale hit points
    assert await keep.repo.version(keep.campaign_id) == version + 1  # the read bumped nothing


async def test_a_stale_writer_reruns_on_fresh_state(keep: _Keep) -> None:
    await keep.a.handle(keep.msg(BROM, "!my_sheet"))  # a caches the state
    full = await keep.hp()
    await keep.b.handle(keep.msg(OWNER, "!hp Brom -3"))
    reply = await keep.a.handle(keep.msg(OWNER, "!hp Brom -2"))
    assert reply[0].kind == "command_result"
    assert await keep.hp() == full - 5
    assert keep.a.state_of(keep.channel).characters["pc-11"].hp == full - 5  # type: ignore[union-attr]


async def _racing_writer(keep: _Keep, command: Any, hp: int | None = None) -> Any:
    """Run `command` (a coroutine) while another process saves the campaign between the table's read and
    its write: the table's save meets a newer version (StaleState) and must rerun on the fresh state."""
    async with keep.db.transaction() as conn:  # type: ignore[attr-defined]
        await conn.execute("SELECT 1 FROM campaigns WHERE id = %s FOR UPDATE", (keep.campaign_id,))
        if hp is not None:
            await conn.execute(
                "UPDATE characters SET hit_points = %s, sheet = jsonb_set(sheet, '{hp}', to_jsonb(%s::int)) "
                "WHERE campaign_id = %s AND key = 'pc-11'",
                (hp, hp, keep.campaign_id),
            )
        await conn.execute("UPDATE campaigns SET state_version = state_version + 1 WHERE id = %s",
                           (keep.campaign_id,))  # fmt: skip
        task = asyncio.create_task(command)
        await _blocked(keep, 1)  # the table read the old version, ran, and waits on our row lock
        assert not task.done()
    return await asyncio.wait_for(task, timeout=20)


async def test_a_writer_that_loses_the_race_reruns_on_the_fresh_state(keep: _Keep) -> None:
    await keep.a.handle(keep.msg(BROM, "!my_sheet"))
    full = await keep.hp()
    reply = await _racing_writer(keep, keep.a.handle(keep.msg(OWNER, "!hp Brom -2")), hp=full - 3)
    assert reply[0].kind == "command_result", reply[0].result
    assert await keep.hp() == full - 5  # the retry ran on the other process's state, not the cached one
    assert keep.a.state_of(keep.channel).characters["pc-11"].hp == full - 5  # type: ignore[union-attr]


async def _blocked(keep: _Keep, count: int, timeout_s: float = 30.0) -> None:
    """Wait until `count` backends wait on a lock (the table's save behind a writer), instead of sleeping."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        waiting = await keep.db.fetch_value(  # type: ignore[attr-defined]
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        if waiting >= count:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{waiting} backends wait on a lock, not {count}")
        await asyncio.sleep(0.02)


class _AlwaysOvertaken(PlayStateRepository):
    """The real repository, with another writer committing a change to the campaign just before each of
    this table's state-changing saves — as a busy second process would, deterministically."""

    async def save(self, campaign_id: Any, **kwargs: Any) -> int:  # type: ignore[override]
        if campaign_id is not None and kwargs.get("before") != kwargs.get("after"):
            await self._db.execute(  # noqa: SLF001 - the same database, another transaction
                "UPDATE campaigns SET state_version = state_version + 1 WHERE id = %s", (campaign_id,))
        return await super().save(campaign_id, **kwargs)


async def test_a_command_stale_twice_is_refused_answered_and_not_left_pending(keep: _Keep) -> None:
    await keep.a.handle(keep.msg(BROM, "!my_sheet"))
    full = await keep.hp()
    overtaken = Table(store=_AlwaysOvertaken(keep.db), messages=MessageLog(keep.db), owner_id=OWNER, seed=3)
    message = keep.msg(OWNER, "!hp Brom -2")
    reply = await asyncio.wait_for(overtaken.handle(message), timeout=20)
    assert isinstance(reply[0].result, Refusal) and reply[0].result.error == "StaleState"
    assert await keep.hp() == full  # neither attempt wrote anything
    assert await MessageLog(keep.db).pending(keep.channel) == []  # answered (refused), not left for the DM turn
    again = await keep.b.handle(message)
    assert again[0].replayed and again[0].result == reply[0].result


async def _to_name_step(keep: _Keep, player: int) -> None:
    reply = await keep.a.handle(keep.msg(player, "!create_character"))
    for _ in range(20):
        step = reply[0].result
        assert step is not None and step.type == "creation_step", step
        if step.step == "name":
            return
        if step.choices:
            answer = ", ".join(str(i + 1) for i in range(step.pick))
        else:
            answer = step.example
        reply = await keep.a.handle(keep.msg(player, f"!choose {answer}"))
    raise AssertionError("the guided creation never asked for a name")


async def test_a_retried_command_does_not_see_its_first_attempts_scratch_changes(keep: _Keep) -> None:
    await _to_name_step(keep, 22)
    reply = await _racing_writer(keep, keep.a.handle(keep.msg(22, "!choose Ayla")))
    assert reply[0].result is not None and reply[0].result.type == "character_created", reply[0].result
    state = GameState.from_dict((await keep.repo.load(keep.campaign_id)).state)
    assert any(c.name == "Ayla" for c in state.characters.values())


# --- exactly once ------------------------------------------------------------------------------------


async def test_one_message_delivered_to_two_tables_at_once_is_applied_once(keep: _Keep) -> None:
    full = await keep.hp()
    message = keep.msg(OWNER, "!hp Brom -4")
    one, two = await asyncio.gather(keep.a.handle(message), keep.b.handle(message))
    assert await keep.hp() == full - 4
    assert one[0].result == two[0].result
    assert sorted([one[0].replayed, two[0].replayed]) == [False, True]
    # the loser's cache is consistent with the database afterwards
    for table in (keep.a, keep.b):
        await table.handle(keep.msg(BROM, "!my_sheet"))
        assert table.state_of(keep.channel).characters["pc-11"].hp == full - 4  # type: ignore[union-attr]


async def test_one_message_delivered_twice_to_one_table_at_once_is_applied_once(keep: _Keep) -> None:
    full = await keep.hp()
    message = keep.msg(OWNER, "!hp Brom -4")
    one, two = await asyncio.gather(keep.a.handle(message), keep.a.handle(message))
    assert await keep.hp() == full - 4
    assert one[0].result == two[0].result and two[0].replayed


class _CountingNarrator:
    """A stand-in for the DM turn (not built yet): answers once and marks the message answered."""

    def __init__(self, db: Any, campaign_id: int) -> None:
        self.calls = 0
        self.db, self.campaign_id = db, campaign_id

    async def narrate(self, table: Table, messages: list[PlayerMessage]) -> list[TableReply]:
        from persistence.messages import TurnRecord

        self.calls += 1
        await asyncio.sleep(0.3)  # a model thinking: a second worker can arrive meanwhile
        await MessageLog(self.db).complete_turn(
            campaign_id=self.campaign_id, channel_id=messages[0].channel_id,
            message_ids=[m.message_id for m in messages],
            turn=TurnRecord(prompt=[], reply_text="The gulls cry.", backend="standin"),
        )  # fmt: skip
        return [TableReply("narrative", text="The gulls cry.")]


async def test_redelivered_plain_talk_replays_the_answer_without_a_second_dm_turn(keep: _Keep) -> None:
    narrator = _CountingNarrator(keep.db, keep.campaign_id)
    keep.a.narrator = narrator
    message = keep.msg(BROM, "I look out to sea.")
    first = await keep.a.handle(message)
    again = await keep.a.handle(message)
    assert narrator.calls == 1
    assert again[0].replayed and again[0].text == first[0].text == "The gulls cry."


async def test_plain_talk_delivered_to_two_tables_at_once_is_narrated_once(keep: _Keep) -> None:
    narrator = _CountingNarrator(keep.db, keep.campaign_id)
    keep.a.narrator = keep.b.narrator = narrator
    message = keep.msg(BROM, "I look out to sea.")
    one, two = await asyncio.gather(keep.a.handle(message), keep.b.handle(message))
    assert one[0].text == two[0].text == "The gulls cry."
    assert sorted([one[0].replayed, two[0].replayed]) == [False, True]
    turns = await keep.db.fetch_value("SELECT count(*) FROM dm_turns")  # type: ignore[attr-defined]
    assert turns == 1


async def test_plain_talk_without_a_narrator_stays_pending_once(keep: _Keep) -> None:
    message = keep.msg(BROM, "I look out to sea.")
    await keep.a.handle(message)
    await keep.b.handle(message)
    pending = await MessageLog(keep.db).pending(keep.channel)
    assert [m.discord_message_id for m in pending] == [message.message_id]


async def test_a_command_on_an_unbound_channel_is_marked_answered_and_replays(keep: _Keep) -> None:
    message = PlayerMessage(424242, next(_ids), BROM, "p11", "!roll 1d20")
    first = await keep.a.handle(message)
    again = await keep.b.handle(message)
    assert again[0].replayed and again[0].result == first[0].result
    stored = await MessageLog(keep.db).get(message.message_id)
    assert stored is not None and stored.processed and stored.campaign_id is None


async def test_a_blank_message_is_not_kept_pending_for_the_dm(keep: _Keep) -> None:
    assert await keep.a.handle(keep.msg(BROM, "   ")) == []
    assert await MessageLog(keep.db).pending(keep.channel) == []


# --- the state diff writer -------------------------------------------------------------------------


async def test_a_met_npc_matches_the_extracted_one_whatever_the_case(keep: _Keep) -> None:
    await keep.db.execute(
        "INSERT INTO npcs (campaign_id, name, description, secrets) VALUES (%s, 'Osric Tallow', "
        "'The lamplighter.', 'He lit the false light.')",
        (keep.campaign_id,),
    )
    loaded = await keep.repo.load(keep.campaign_id)
    before = GameState.from_dict(loaded.state)
    after, outcomes = apply_effects(before, [NpcIntroduce(name="osric tallow")], rng=random.Random(1))
    assert outcomes[0].accepted
    await keep.repo.save(keep.campaign_id, expected_version=loaded.version, before=before.to_dict(),
                         after=after.to_dict())  # fmt: skip
    rows = await keep.db.fetch_all("SELECT name, met, secrets FROM npcs WHERE campaign_id = %s", (keep.campaign_id,))
    assert [(r["name"], r["met"], r["secrets"]) for r in rows] == [("Osric Tallow", True, "He lit the false light.")]


async def test_combatants_whose_long_names_collide_are_written(keep: _Keep) -> None:
    loaded = await keep.repo.load(keep.campaign_id)
    long = "G" * 100
    after = dict(loaded.state)
    after["creatures"] = {
        "a": {"id": "a", "name": long, "hp": 5, "max_hp": 5},
        "b": {"id": "b", "name": long.lower(), "hp": 5, "max_hp": 5},
    }
    after["combat"] = {"round": 1, "turn_index": 0, "combatants": [
        {"id": "a", "name": long, "initiative": 12}, {"id": "b", "name": long.lower(), "initiative": 10}]}
    await asyncio.wait_for(keep.repo.save(keep.campaign_id, expected_version=loaded.version, before=loaded.state,
                                          after=after), timeout=10)  # fmt: skip
    names = await keep.db.fetch_all("SELECT name FROM combatants ORDER BY turn_order")
    assert len({r["name"].lower() for r in names}) == 2 and all(len(r["name"]) <= 100 for r in names)


# --- parsing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["!roll\n1d20", "!roll\t1d20"])
def test_a_command_name_ends_at_any_whitespace(text: str) -> None:
    assert split_command(text) == ("roll", "1d20")


def test_a_text_argument_after_others_is_kept_as_typed() -> None:
    spec = REGISTRY.require("advance_plot")
    bound = bind_arguments(spec, 'Smugglers The keeper says "run"  now')
    assert bound == {"thread": "Smugglers", "note": 'The keeper says "run"  now'}
    unclosed = bind_arguments(spec, 'Smugglers He shouts "wait')
    assert unclosed["note"] == 'He shouts "wait'


async def test_a_command_on_a_tabbed_line_runs(keep: _Keep) -> None:
    reply = await keep.a.handle(keep.msg(BROM, "!roll\n1d20"))
    assert not isinstance(reply[0].result, Refusal), reply[0].result

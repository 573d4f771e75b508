"""The console's script semantics through the session (real Table, real PostgreSQL, scripted model): plain
lines batch, `wait SECONDS` moves the virtual clock (the batch closes), the end of the script answers the rest."""

from __future__ import annotations

from typing import Any

from dm.table import Table
from dm.turn import DMTurn
from gateway.console import ConsoleGame
from inference.scripted import ScriptedBackend
from persistence.messages import MessageLog


def _reply(narrative: str) -> dict[str, Any]:
    return {"reply": {"narrative": narrative, "rolls": [], "rule_lookups": [], "effects": []}}


async def _play(keep: Any, lines: list[str], replies: list[str]) -> tuple[list[str], ScriptedBackend]:
    backend = ScriptedBackend([_reply(r) for r in replies])
    table = Table(store=keep.repo, messages=MessageLog(keep.db), seed=5, narrator=DMTurn(backend))
    out: list[str] = []
    await ConsoleGame(table, keep.channel, owner="mira").run(lines, out.append)
    return out, backend


async def test_a_script_batches_plain_lines_until_a_wait_and_flushes_at_its_end(keep: Any) -> None:
    out, backend = await _play(keep, [
        "mira: I search the altar.",
        "brakka: I keep watch at the door.",
        "mira: !roll 1d20",
        "wait 5",
        "brakka: Anything behind it?",
    ], ["The altar gives up a key while Brakka watches.", "Behind it, only dust."])  # fmt: skip
    assert out[0].startswith("DM: ") and "1d20" in out[0]  # the command at once, before the batch's answer
    assert out[1:] == ["DM: The altar gives up a key while Brakka watches.", "DM: Behind it, only dust."]
    first = "\n".join(m["content"] for m in backend.requests[0].messages)
    assert "I search the altar." in first and "I keep watch at the door." in first
    assert "Anything behind it?" not in first
    rows = await keep.db.fetch_all("SELECT count(*) AS n FROM dm_turns")
    assert rows == [{"n": 2}]


async def test_wait_moves_the_virtual_clock_and_the_quiet_window_closes_the_batch(keep: Any) -> None:
    backend = ScriptedBackend([_reply("Two voices, one tune.")])
    table = Table(store=keep.repo, messages=MessageLog(keep.db), seed=5, narrator=DMTurn(backend))
    game = ConsoleGame(table, keep.channel, owner="mira")
    assert await game.say("mira", "I hum.") == []
    assert await game.wait(2) == []
    assert await game.say("brakka", "I hum along.") == []
    assert await game.wait(3) == []  # 3 s of quiet: still open
    assert backend.requests == []
    assert await game.wait(1) == ["Two voices, one tune."]  # 4 s: the window closes it
    assert await game.flush() == [] and len(backend.requests) == 1


async def test_the_end_of_the_script_answers_what_is_open(keep: Any) -> None:
    out, backend = await _play(keep, ["mira: I hum.", "wait 2", "brakka: I hum along."], ["Two voices, one tune."])
    assert out == ["DM: Two voices, one tune."] and len(backend.requests) == 1
    prompt = "\n".join(m["content"] for m in backend.requests[0].messages)
    assert "I hum." in prompt and "I hum along." in prompt


async def test_at_a_terminal_the_session_ticks_on_real_time(keep: Any) -> None:
    import asyncio

    from dm.session import MonotonicClock, SessionConfig

    backend = ScriptedBackend([_reply("The bell tolls for you.")])
    table = Table(store=keep.repo, messages=MessageLog(keep.db), seed=5, narrator=DMTurn(backend))
    game = ConsoleGame(table, keep.channel, owner="mira", clock=MonotonicClock(),
                       config=SessionConfig(batch_window_s=0.3))  # fmt: skip
    out: list[str] = []
    answered = asyncio.Event()

    def emit(text: str) -> None:
        out.append(text)
        answered.set()

    async def typed() -> Any:  # a player types one line, then sits and reads until the answer comes
        yield "mira: I ring the bell."
        await asyncio.wait_for(answered.wait(), 20)  # only the background ticker can answer now

    await game.run(typed(), emit)
    assert out == ["DM: The bell tolls for you."] and len(backend.requests) == 1

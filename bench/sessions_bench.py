"""Many campaigns through the session pipeline: nothing lost, nothing doubled, order kept, overhead, memory, fairness.

Run: `.venv/bin/python bench/sessions_bench.py [--campaigns 50] [--players 4] [--messages 100] [--json]`
(or `lorekeeper bench sessions`). A throw-away embedded PostgreSQL (bench/_scratch.py) gets C campaigns,
each bound to its channel with P players who create a character each; every campaign has its own
`dm.session.Session` on its own `Table` + `DMTurn` (as a session actor would) and the scripted model.
Each player sends M plain messages (P×M per channel, in rounds: every player once, so a batch closes
early when all have spoken). Printed:

- messages lost / duplicated / order kept per channel, from PostgreSQL (every message processed by
  exactly one stored turn, turns in message-id order) and from what the sessions sent (no answer twice);
- pipeline overhead per message excluding the model: the message's `receive` plus its share of its
  turn's time outside the model call, p50/p95 (goal p95 <= 5 ms), for campaign 1 played alone (each
  round's turn awaited); the other campaigns then play all at once on one event loop: this process's
  CPU per message and the messages per second (PostgreSQL's own CPU is another process's);
- memory per idle session (Python heap, tracemalloc, of C more warm idle sessions in this process), and per idle
  `actors.session.SessionActor` with its start time on a local Ray (`--no-actors` skips Ray);
- fairness: one slow shared model (capacity `--capacity` calls at once, `--model-delay` s each) while
  campaign 1 floods it with many concurrent calls; every other campaign plays `--fair-rounds` turns;
  the spread of their turn latency (p50/p95/max over campaigns of each campaign's mean, max/min) without
  and with `inference.fair_queue.FairQueue`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scratch import run_in_scratch_dir  # noqa: E402
from _sessions_parts import (  # noqa: E402
    REPLY, RecordingTable, SharedModel, TimedBackend, actor_figures, durable_commits_ms, pct,
)  # fmt: skip

from dm.session import ManualClock, Session, SessionConfig  # noqa: E402
from dm.table import PlayerMessage, TableReply  # noqa: E402
from dm.turn import DMTurn  # noqa: E402
from gateway.database import open_database, resolve_conninfo  # noqa: E402
from gateway.settings import get_settings  # noqa: E402
from inference.fair_queue import FairQueue  # noqa: E402
from inference.scripted import ScriptedBackend  # noqa: E402
from persistence.messages import MessageLog  # noqa: E402
from persistence.play_state import PlayStateRepository  # noqa: E402

OWNER = 1
PREFIX = "bench-sessions-"
RACES = (("hill dwarf", "fighter"), ("high elf", "wizard"), ("lightfoot halfling", "rogue"), ("human", "cleric"))
METRICS = ("messages sent", "messages lost", "messages duplicated", "order kept per channel",
           "overhead alone", "all at once", "memory per idle session", "memory per idle actor",
           "actor start time", "turn latency without fair queue", "turn latency with fair queue")  # fmt: skip


class Campaign:
    """One channel: its table, session, players, and what its session sent."""

    def __init__(self, db: Any, index: int, campaign_id: int, channel: int, backend: Any, players: int) -> None:
        self.index, self.campaign_id, self.channel = index, campaign_id, channel
        self.players = [(1000 * (index + 1) + p, f"p{index}x{p}") for p in range(players)]
        self.timed = TimedBackend(backend)
        self.table = RecordingTable(store=PlayStateRepository(db), messages=MessageLog(db), owner_id=OWNER,
                                    narrator=DMTurn(self.timed, summary_every=0), seed=index)  # fmt: skip
        self.sent: list[TableReply] = []
        self.clock = ManualClock()
        self.answered = asyncio.Event()
        self.session = Session(self.table, channel, config=SessionConfig(max_batch=max(10, players)),
                               clock=self.clock, send=self._send)  # fmt: skip
        self.talk: list[int] = []  # plain-talk message ids, in the order sent
        self.receive_ms: dict[int, float] = {}
        self.receive_cpu_ms: dict[int, float] = {}

    async def _send(self, replies: list[TableReply]) -> None:
        self.sent.extend(replies)
        self.answered.set()

    async def say(self, ids: itertools.count[int], author: int, name: str, text: str) -> list[TableReply]:
        message_id = next(ids)
        start, cpu = time.perf_counter(), time.thread_time()
        replies = await self.session.receive(PlayerMessage(self.channel, message_id, author, name, text))
        if not text.startswith("!"):
            self.receive_ms[message_id] = (time.perf_counter() - start) * 1000
            self.receive_cpu_ms[message_id] = (time.thread_time() - cpu) * 1000
            self.talk.append(message_id)
        return replies

    async def create_party(self, ids: itertools.count[int]) -> None:
        for n, (author, name) in enumerate(self.players):
            race, cls = RACES[n % len(RACES)]
            replies = await self.say(ids, author, name, f"!create_character Hero{self.index}x{n} {race} {cls}")
            if not replies or replies[0].kind == "error":
                raise SystemExit(f"character creation failed: {replies}")
        await self.session.recover()  # a session starting: who spoke lately is read back, nothing is pending

    async def end_round(self) -> None:
        """The round's last word is said: a batch still open (not everyone counted as active) closes on quiet."""
        if self.session.status()["open_batch"]:
            self.clock.advance(self.session.config.batch_window_s)
            await self.session.tick()

    async def play(self, ids: itertools.count[int], rounds: int, *, settle_each: bool) -> None:
        for r in range(rounds):
            for author, name in self.players:
                await self.say(ids, author, name, f"{name} speaks, line {r} of campaign {self.index}.")
            await self.end_round()
            if settle_each:
                await self.session.idle()
            else:
                await asyncio.sleep(0)  # let the other campaigns in
        await self.session.flush()

    def overhead_ms(self, cpu: bool = False) -> list[float]:
        """Per message: its receive + its share of its turn's time outside the model (wall, or this thread's CPU:
        meaningful only when nothing else runs meanwhile, as for campaign 1 alone)."""
        share: dict[int, float] = {}
        for batch, wall_ms, model_ms, cpu_ms, model_cpu_ms in self.table.turns:
            spent = cpu_ms - model_cpu_ms if cpu else wall_ms - model_ms
            for message_id in batch:
                share[message_id] = share.get(message_id, 0.0) + max(0.0, spent) / len(batch)
        own = self.receive_cpu_ms if cpu else self.receive_ms
        return [own[m] + share.get(m, 0.0) for m in self.talk]


async def _campaigns(db: Any, count: int, players: int, backend_for: Any, tag: str) -> list[Campaign]:
    repo = PlayStateRepository(db)
    made = []
    for i in range(count):
        ref = await repo.create_campaign(f"{PREFIX}{tag}{i}")
        channel = 7_000_000_000 + ref.id  # a channel per campaign (console_channel_id is the console's)
        await repo.bind_channel(ref.id, channel)
        made.append(Campaign(db, i, ref.id, channel, backend_for(i), players))
    return made


async def _check(db: Any, campaigns: Sequence[Campaign]) -> dict[str, Any]:
    """Lost, duplicated and order, from the database and from what the sessions sent."""
    lost = duplicated = 0
    ordered = 0
    for c in campaigns:
        rows = await db.fetch_all(
            "SELECT discord_message_id AS id, processed, turn_id FROM message_history "
            "WHERE channel_id = %s AND NOT is_command AND NOT from_dm ORDER BY discord_message_id", (c.channel,))
        stored = {r["id"]: r for r in rows}
        lost += sum(1 for m in c.talk if m not in stored or not stored[m]["processed"] or stored[m]["turn_id"] is None)
        turns = await db.fetch_one("SELECT count(*) AS n FROM dm_turns WHERE channel_id = %s", (c.channel,))
        used = {r["turn_id"] for r in rows if r["turn_id"] is not None}
        told = [r for r in c.sent if r.kind == "narrative"]
        duplicated += (int(turns["n"]) - len(used)) + sum(1 for r in told if r.replayed)
        turn_ids = [stored[m]["turn_id"] for m in c.talk if m in stored and stored[m]["turn_id"] is not None]
        batches_in_order = all(list(b) == sorted(b) for b, *_ in c.table.turns)
        prompts_in_order = c.timed.lines_in_order
        ordered += int(turn_ids == sorted(turn_ids) and batches_in_order and prompts_in_order)
    return {"lost": lost, "duplicated": duplicated, "ordered": ordered, "channels": len(campaigns)}


async def _idle_sessions(db: Any, campaigns: Sequence[Campaign]) -> float:
    """KB of Python heap one more idle session holds (tracemalloc): C fresh warm sessions (state loaded,
    recovered, nothing pending) kept alive. USS cannot see this in a process whose heap has free room."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = []
    for c in campaigns:
        fresh = Campaign(db, c.index, c.campaign_id, c.channel, ScriptedBackend([REPLY]), len(c.players))
        await fresh.session.recover()
        await fresh.table.load_state(c.channel)
        kept.append(fresh)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown / 1024 / max(1, len(kept))


async def _fairness(db: Any, args: argparse.Namespace, ids: itertools.count[int], fair: bool) -> dict[str, Any]:
    """Every campaign but the first plays `fair_rounds` turns on one slow model the first one floods."""
    model = SharedModel(args.capacity, args.model_delay)
    queue = FairQueue(model, per_campaign=1, total=args.capacity) if fair else None
    campaigns = await _campaigns(db, args.campaigns, args.players,
                                 lambda i: queue.for_campaign(i) if queue else model, "fair" if fair else "fifo")
    for c in campaigns[1:]:
        await c.create_party(ids)
    flood = queue.for_campaign(0) if queue else model
    stop = asyncio.Event()

    async def chatty() -> None:
        while not stop.is_set():
            await flood.generate([{"role": "user", "content": "the chatty table again"}], max_tokens=64)

    latencies: dict[int, list[float]] = {}

    async def play(c: Campaign) -> None:
        for r in range(args.fair_rounds):
            for author, name in c.players[:-1]:
                await c.say(ids, author, name, f"{name} waits, round {r}.")
            c.answered.clear()
            start = time.perf_counter()
            author, name = c.players[-1]
            await c.say(ids, author, name, f"{name} acts, round {r}.")  # everyone spoke: the turn starts
            await c.end_round()
            await c.answered.wait()
            latencies.setdefault(c.index, []).append(time.perf_counter() - start)
        await c.session.flush()

    flooders = [asyncio.create_task(chatty()) for _ in range(max(8, 2 * args.campaigns))]
    await asyncio.sleep(args.model_delay)  # the flood is queued first
    await asyncio.gather(*(play(c) for c in campaigns[1:]))
    stop.set()
    await asyncio.gather(*flooders)
    means = sorted(statistics.fmean(v) * 1000 for v in latencies.values())
    return {"p50_ms": round(pct(means, 0.5), 1), "p95_ms": round(pct(means, 0.95), 1),
            "min_ms": round(min(means), 1), "max_ms": round(max(means), 1),
            "max_over_min": round(max(means) / max(min(means), 1e-9), 2),
            "model_calls": model.calls, "flood_calls": model.calls_by.get("the chatty table again", 0)}  # fmt: skip


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    ids = itertools.count(int(time.time() * 1000) * 1000)
    out: dict[str, Any] = {"campaigns": args.campaigns, "players": args.players, "messages": args.messages}
    async with open_database(get_settings(), max_size=args.pool) as db:
        await db.execute("DELETE FROM campaigns WHERE name LIKE %s", (PREFIX + "%",))
        campaigns = await _campaigns(db, args.campaigns, args.players, lambda i: ScriptedBackend([REPLY]), "")
        for c in campaigns:
            await c.create_party(ids)
        commits = await durable_commits_ms(db)
        await campaigns[0].play(ids, args.messages, settle_each=True)
        commits += await durable_commits_ms(db)  # before and after campaign 1 alone: the same conditions
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(c.play(ids, args.messages, settle_each=False) for c in campaigns[1:]))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        out["sent"] = sum(len(c.talk) for c in campaigns)
        out["turns"] = sum(len(c.table.turns) for c in campaigns)
        out.update(await _check(db, campaigns))
        alone, alone_cpu = campaigns[0].overhead_ms(), campaigns[0].overhead_ms(cpu=True)
        together = sum(len(c.talk) for c in campaigns[1:])
        out["overhead_alone_ms"] = {"p50": round(pct(alone, 0.5), 2), "p95": round(pct(alone, 0.95), 2),
                                    "cpu_p50": round(pct(alone_cpu, 0.5), 2), "cpu_p95": round(pct(alone_cpu, 0.95), 2),
                                    "commit_p50": round(pct(commits, 0.5), 2), "commit_p95": round(pct(commits, 0.95), 2)}
        out["together"] = {"cpu_ms_per_message": round(cpu * 1000 / together, 2),
                           "messages_per_s": round(together / wall, 1)}  # fmt: skip
        out["idle_session_kb"] = round(await _idle_sessions(db, campaigns), 1)
        out["fifo"] = await _fairness(db, args, ids, fair=False)
        out["fair"] = await _fairness(db, args, ids, fair=True)
        channels = [c.channel for c in campaigns[: max(1, args.actors)]]
        out["actor"] = (await asyncio.to_thread(actor_figures, resolve_conninfo(get_settings()), channels, OWNER)
                        if not args.no_actors else {"skipped": "--no-actors"})  # fmt: skip
        await db.execute("DELETE FROM campaigns WHERE name LIKE %s", (PREFIX + "%",))
    return out


def _print(r: dict[str, Any], args: argparse.Namespace) -> None:
    a, t = r["overhead_alone_ms"], r["together"]
    actor = r["actor"]
    rows = [
        f"{r['sent']} plain messages in {r['campaigns']} channels ({r['turns']} DM turns)",
        str(r["lost"]), str(r["duplicated"]), f"{r['ordered']}/{r['channels']} channels",
        f"p50 {a['p50']:.2f} ms  p95 {a['p95']:.2f} ms  (campaign 1 alone; goal p95 <= 5 ms); of it this "
        f"process's CPU p50 {a['cpu_p50']:.2f} ms  p95 {a['cpu_p95']:.2f} ms (the rest: PostgreSQL round trips, "
        f"the machine's load); one durable commit (an INSERT, WAL flushed) here, same run: p50 {a['commit_p50']:.2f} "
        f"ms  p95 {a['commit_p95']:.2f} ms; a message needs {1 + 1 / r['players']:.2f} of them (its record, its share "
        "of its turn's save)",
        (f"{t['cpu_ms_per_message']:.2f} ms of this process's CPU a message, {t['messages_per_s']:.0f} messages/s "
         f"({r['campaigns'] - 1} campaigns on one event loop and one pool of {args.pool})"),
        f"{r['idle_session_kb']:.0f} KB Python heap (Table + DMTurn + Session, state loaded, in one process)",
        (f"{actor['idle_uss_mb']:.1f} MB USS (a SessionActor's worker process, idle; goal <= 60 MB); in the same "
         f"run an empty Ray actor: {actor['empty_actor_uss_mb']:.1f} MB, one that only imports the session's "
         f"modules: {actor['code_only_uss_mb']:.1f} MB"
         if "idle_uss_mb" in actor else f"not measured ({actor.get('skipped', '?')})"),
        (f"first {actor['first_start_s']:.2f} s, then p50 {actor['start_p50_s']:.2f} s (to recovered and ticking)"
         if "first_start_s" in actor else f"not measured ({actor.get('skipped', '?')})"),
    ]
    for key in ("fifo", "fair"):
        f = r[key]
        rows.append(f"p50 {f['p50_ms']:.0f} ms  p95 {f['p95_ms']:.0f} ms  min {f['min_ms']:.0f} ms  max "
                    f"{f['max_ms']:.0f} ms  max/min "
                    f"{f['max_over_min']:.2f}  (over {r['campaigns'] - 1} campaigns; flood got {f['flood_calls']} "
                    f"of {f['model_calls']} calls)")
    print(f"sessions bench: {args.campaigns} campaigns x {args.players} players x {args.messages} messages, "
          f"scripted model; fairness: capacity {args.capacity}, {args.model_delay * 1000:.0f} ms a call")
    for name, value in zip(METRICS, rows, strict=True):
        print(f"{name:<33} {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--messages", type=int, default=100, help="plain messages per player")
    parser.add_argument("--fair-rounds", type=int, default=3, help="turns per campaign in the fairness run")
    parser.add_argument("--capacity", type=int, default=4, help="calls the slow shared model serves at once")
    parser.add_argument("--model-delay", type=float, default=0.2, help="seconds per call of the slow model")
    parser.add_argument("--pool", type=int, default=8, help="database connections (one pool, as PersistenceActor)")
    parser.add_argument("--actors", type=int, default=3, help="session actors started to time and measure")
    parser.add_argument("--no-actors", action="store_true", help="skip the Ray part (memory and start of actors)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.campaigns < 2 or args.players < 1 or args.messages < 1:
        parser.error("need at least 2 campaigns, 1 player and 1 message")
    result = asyncio.run(bench(args))
    if args.json:
        print(json.dumps(result))
    else:
        _print(result, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_in_scratch_dir(main))

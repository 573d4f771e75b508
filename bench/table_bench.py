"""Command latency through the table (record → check → handler → save in one transaction), p50/p95/p99.

Run: `.venv/bin/python bench/table_bench.py [--rounds N] [--json]`
A fresh embedded PostgreSQL (unless LOREKEEPER_DATA_DIR/DATABASE_URL is set) gets a campaign with
a four-character party; each round plays a read-only roll, a skill check with the character's
modifiers, a sheet, and an owner's state change (−1 then +1 HP, each a saved state diff). Every
message is a new message id, so every one is recorded and marked processed in its own transaction;
a redelivery of the last message measures the replay path. Prints per-command percentiles in ms
and commands/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scratch import run_in_scratch_dir  # noqa: E402

from dm.table import PlayerMessage, Table  # noqa: E402
from gateway.database import open_database  # noqa: E402
from gateway.settings import get_settings  # noqa: E402
from persistence.messages import MessageLog  # noqa: E402
from persistence.play_state import PlayStateRepository, console_channel_id  # noqa: E402

PARTY = (("Brom", "hill dwarf", "fighter"), ("Mira", "high elf", "wizard"), ("Cel", "lightfoot halfling", "rogue"),
         ("Dov", "human", "cleric"))  # fmt: skip
OWNER = 1
COMMANDS = ("!roll 1d20+5", "!roll perception", "!my_sheet", "!hp @Brom -1", "!hp @Brom +1")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def bench(rounds: int) -> dict:
    ids = itertools.count(int(time.time() * 1000))
    async with open_database(get_settings()) as db:
        repo = PlayStateRepository(db)
        await db.execute("DELETE FROM campaigns WHERE name = %s", ("bench-table",))
        campaign = await repo.create_campaign("bench-table")
        channel = console_channel_id(campaign.id)
        await repo.bind_channel(campaign.id, channel)
        table = Table(store=repo, messages=MessageLog(db), owner_id=OWNER, seed=1)

        async def say(author: int, text: str, message_id: int | None = None) -> float:
            start = time.perf_counter()
            replies = await table.handle(PlayerMessage(channel, message_id or next(ids), author, f"p{author}", text))
            elapsed = (time.perf_counter() - start) * 1000
            if replies[0].kind == "error":
                raise SystemExit(f"{text!r} failed: {replies[0].result}")
            return elapsed

        for n, (name, race, cls) in enumerate(PARTY, start=10):
            await say(n if name != "Brom" else 10, f"!create_character {name} {race} {cls}")
        timings: dict[str, list[float]] = {c: [] for c in COMMANDS}
        wall = time.perf_counter()
        for _ in range(rounds):
            for text in COMMANDS:
                timings[text].append(await say(OWNER if text.startswith("!hp") else 10, text))
        wall = time.perf_counter() - wall
        last = next(ids)
        await say(10, "!roll 1d20", last)
        replay = [await say(10, "!roll 1d20", last) for _ in range(rounds)]
    out = {
        "rounds": rounds,
        "commands_per_s": round(rounds * len(COMMANDS) / wall, 1),
        "replay_ms": {"p50": round(_pct(replay, 0.5), 2), "p95": round(_pct(replay, 0.95), 2)},
    }
    for text, values in timings.items():
        out[text] = {q: round(_pct(values, v), 2) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(bench(args.rounds))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['commands_per_s']} commands/s over {args.rounds} rounds of {len(COMMANDS)} commands")
    for text in COMMANDS:
        r = result[text]
        print(f"  {text:<18} p50 {r['p50']:>7.2f} ms  p95 {r['p95']:>7.2f} ms  p99 {r['p99']:>7.2f} ms")
    print(f"  replayed message   p50 {result['replay_ms']['p50']:>7.2f} ms  p95 {result['replay_ms']['p95']:>7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_in_scratch_dir(main))

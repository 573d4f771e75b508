"""DM-turn overhead without the model: a whole DMTurn through the Table minus the backend's own time, p50/p95.

Run: `.venv/bin/python bench/dm_turn_bench.py [--turns N] [--json]`
A fresh embedded PostgreSQL (unless LOREKEEPER_DATA_DIR/DATABASE_URL is set) gets a campaign with a
four-character party. The scripted backend plays the model (no model time but its own bookkeeping,
which is timed and subtracted): each turn is a player's plain talk answered in one pass ("talk"), or a
reply that asks the engine for a skill check and an attack and is then narrated in a second pass
("rolls": prompt assembly twice, the engine's rolls, validation of the effects, the grounding and
canon checks, the save of state + turn record). Prints the overhead per kind, its share of the
turn, and turns/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scratch import run_in_scratch_dir  # noqa: E402

from dm.table import PlayerMessage, Table  # noqa: E402
from dm.turn import DMTurn  # noqa: E402
from gateway.database import open_database  # noqa: E402
from gateway.settings import get_settings  # noqa: E402
from inference.scripted import ScriptedBackend  # noqa: E402
from persistence.messages import MessageLog  # noqa: E402
from persistence.play_state import PlayStateRepository, console_channel_id  # noqa: E402

PARTY = (("Brom", "hill dwarf", "fighter"), ("Mira", "high elf", "wizard"), ("Cel", "lightfoot halfling", "rogue"),
         ("Dov", "human", "cleric"))  # fmt: skip
OWNER = 1
TALK = {"narrative": "The harbour smells of tar and brine. Old Tam mends a net and nods at Brom without looking up; "
                     "gulls argue over a fish head on the quay.", "rolls": [], "rule_lookups": [], "effects": []}
ASK = {"narrative": "Brom studies the warehouse door.", "rule_lookups": [], "effects": [],
       "rolls": [{"who": "Brom", "kind": "ability_check", "ability_or_skill": "perception", "dc": 12}]}
NARRATE = {"narrative": "Brom spots the scratch marks around the lock: someone forced it recently. Inside, crates "
                        "are stacked to the rafters and a lantern still swings.", "rolls": [], "rule_lookups": [],
           "effects": [{"kind": "hp_change", "target": "Brom", "amount": -1}]}


class TimedBackend(ScriptedBackend):
    """The scripted backend, with the seconds spent inside `generate` added up (the "model" time)."""

    model_s = 0.0

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().generate(*args, **kwargs)
        finally:
            self.model_s += time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def _setup(db: Any, backend: TimedBackend, name: str) -> tuple[Table, int]:
    repo = PlayStateRepository(db)
    await db.execute("DELETE FROM campaigns WHERE name = %s", (name,))
    campaign = await repo.create_campaign(name)
    channel = console_channel_id(campaign.id)
    await repo.bind_channel(campaign.id, channel)
    table = Table(store=repo, messages=MessageLog(db), owner_id=OWNER, seed=1, narrator=DMTurn(backend))
    return table, channel


async def bench(turns: int) -> dict:
    ids = itertools.count(int(time.time() * 1000))
    out: dict[str, Any] = {"turns": turns}
    async with open_database(get_settings()) as db:
        for kind, script in (("talk", [{"reply": TALK}]), ("rolls", [{"reply": ASK}, {"reply": NARRATE}])):
            backend = TimedBackend(script)
            table, channel = await _setup(db, backend, f"bench-dm-turn-{kind}")
            for n, (name, race, cls) in enumerate(PARTY, start=10):
                command = f"!create_character {name} {race} {cls}"
                await table.handle(PlayerMessage(channel, next(ids), n, f"p{n}", command))
            totals, overheads = [], []
            wall = time.perf_counter()
            for i in range(turns + 3):
                backend.model_s = 0.0
                started = time.perf_counter()
                said = PlayerMessage(channel, next(ids), 10, "p10", f"I look around the quay ({i}).")
                replies = await table.handle(said)
                total = time.perf_counter() - started
                if not replies or replies[0].kind != "narrative" or "nothing was changed" in (replies[0].text or ""):
                    raise SystemExit(f"the {kind} turn failed: {replies}")
                if i >= 3:  # warm-up: the first turns pay imports and plan caches
                    totals.append(1000 * total)
                    overheads.append(1000 * (total - backend.model_s))
            wall = time.perf_counter() - wall
            await db.execute("DELETE FROM campaigns WHERE name = %s", (f"bench-dm-turn-{kind}",))
            out[kind] = {"overhead_p50_ms": round(_pct(overheads, 0.5), 2),
                         "overhead_p95_ms": round(_pct(overheads, 0.95), 2),
                         "turn_p50_ms": round(_pct(totals, 0.5), 2), "turn_p95_ms": round(_pct(totals, 0.95), 2),
                         "overhead_share": round(sum(overheads) / sum(totals), 3),
                         "turns_per_s": round((turns + 3) / wall, 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="a few turns only (make bench, tests)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(bench(5 if args.quick else args.turns))
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"DM turn through the Table, scripted model, {result['turns']} turns each (model time subtracted)")
    for kind in ("talk", "rolls"):
        r = result[kind]
        print(f"  {kind:<6} overhead p50 {r['overhead_p50_ms']:>7.2f} ms  p95 {r['overhead_p95_ms']:>7.2f} ms   "
              f"whole turn p50 {r['turn_p50_ms']:>7.2f} ms  p95 {r['turn_p95_ms']:>7.2f} ms   "
              f"overhead {100 * r['overhead_share']:.0f}% of the turn, {r['turns_per_s']} turns/s")
    ratio = result["rolls"]["overhead_p50_ms"] / max(result["talk"]["overhead_p50_ms"], 1e-9)
    print(f"  a two-pass turn with engine rolls costs x{ratio:.1f} the overhead of plain talk")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_in_scratch_dir(main))

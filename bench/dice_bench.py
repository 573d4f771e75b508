"""Dice throughput: rolls per second and per-roll latency percentiles for typical expressions.

Run: `.venv/bin/python bench/dice_bench.py [--rolls N] [--json]`. Each expression is rolled
N times through `game.dice.roll` (parsing is cached by d20 after the first roll, as in play),
interleaved with the bare `d20.roll` of the same dice, whose p50 and the ratio are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import d20

from game.dice import roll, seeded

EXPRESSIONS = (
    ("1d20", {}),
    ("1d20+5 advantage", {}),
    ("1d20+7", {"dc": 15}),
    ("2d6+3", {}),
    ("2d6+3 (critical)", {"critical": True}),
    ("8d6", {}),
    ("4d6kh3", {}),
    ("1d100", {}),
    ("10d10ro<3+2d4mi2", {}),
)


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


# what the bare d20 library rolls for the same dice (advantage and a critical's doubled dice spelled out)
RAW = {"1d20+5 advantage": "2d20kh1+5", "2d6+3 (critical)": "4d6+3"}


def bench(expression: str, kwargs: dict[str, object], rolls: int) -> dict[str, object]:
    text = expression.replace(" (critical)", "")
    raw = RAW.get(expression, text)
    roll(text, **kwargs)  # warm the parse cache
    d20.roll(raw)
    timings, raw_timings = [], []
    elapsed = 0.0
    for _ in range(rolls):  # interleaved with the bare library: the same moment of a busy machine
        t0 = time.perf_counter_ns()
        roll(text, **kwargs)
        t1 = time.perf_counter_ns()
        d20.roll(raw)
        raw_timings.append((time.perf_counter_ns() - t1) / 1000)
        timings.append((t1 - t0) / 1000)
        elapsed += (t1 - t0) / 1e9
    timings.sort()
    raw_timings.sort()
    return {
        "expression": expression,
        "rolls": rolls,
        "rolls_per_s": round(rolls / elapsed),
        "p50_us": round(_percentile(timings, 0.50), 1),
        "p95_us": round(_percentile(timings, 0.95), 1),
        "p99_us": round(_percentile(timings, 0.99), 1),
        "mean_us": round(statistics.fmean(timings), 1),
        "raw_d20_p50_us": round(_percentile(raw_timings, 0.50), 1),
        "vs_raw_d20": round(_percentile(timings, 0.50) / max(_percentile(raw_timings, 0.50), 1e-9), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rolls", type=int, default=5000, help="rolls per expression (default 5000)")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = parser.parse_args()
    results = []
    with seeded(1):
        for expression, kwargs in EXPRESSIONS:
            results.append(bench(expression, kwargs, args.rolls))
    if args.json:
        for row in results:
            print(json.dumps(row))
        return
    print(f"{'expression':<22} {'rolls/s':>9} {'p50 µs':>8} {'p95 µs':>8} {'p99 µs':>8} "
          f"{'d20 p50':>8} {'vs d20':>7}")
    for row in results:
        print(f"{row['expression']:<22} {row['rolls_per_s']:>9} {row['p50_us']:>8} {row['p95_us']:>8} "
              f"{row['p99_us']:>8} {row['raw_d20_p50_us']:>8} {'x' + str(row['vs_raw_d20']):>7}")
    print("d20 p50: the bare d20 library rolling the same dice; vs d20: game.dice.roll's p50 over it (its DiceRoll, "
          "dc, advantage and critical handling)")


if __name__ == "__main__":
    main()

"""Full SRD 5.1 import time: PDF -> records -> PostgreSQL, with a per-stage breakdown.

Run: `.venv/bin/python bench/srd_import_bench.py [PDF] [--repeat N] [--json]`
(default PDF: data/srd/). Uses DATABASE_URL if set, else a throw-away embedded PostgreSQL in a
temporary data dir (its start-up is not counted). Stages: extract (pymupdf spans for all
pages), parse (all six record kinds), verify (independent counts), store (one transaction).
The goal is a full import in at most 10 s; the last line says whether the median met it.
Side by side in each run: pymupdf alone reading every page's plain text (the floor), and the ratios to it.
Also times RulesBook lookups (cold load, then cached exact and fuzzy lookups).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _scratch import run_in_scratch_dir  # noqa: E402

from ingest.srd.service import import_srd  # noqa: E402
from gateway.database import open_database  # noqa: E402
from gateway.settings import get_settings  # noqa: E402
from ingest.srd import DEFAULT_SRD_PDF  # noqa: E402
from persistence.rules_book import RulesBook  # noqa: E402
from persistence.srd_repository import SrdRepository  # noqa: E402

GOAL_S = 10.0
STAGES = ("extract", "parse", "verify", "store")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def raw_extraction_s(path: Path) -> float:
    """Seconds pymupdf alone takes to read every page's plain text: the floor an import is compared with."""
    import pymupdf

    started = time.perf_counter()
    with pymupdf.open(path) as doc:
        for page in doc:
            page.get_text()
    return time.perf_counter() - started


async def bench(path: Path, repeat: int) -> dict:
    runs: list[dict[str, float]] = []
    async with open_database(get_settings()) as db:
        for _ in range(repeat):
            timings: dict[str, float] = {"raw_pymupdf": raw_extraction_s(path)}  # side by side, same run
            t0 = time.perf_counter()
            counts = await import_srd(db, path, timings)
            timings["total"] = time.perf_counter() - t0
            runs.append(timings)
        book = RulesBook(SrdRepository(db))
        t0 = time.perf_counter()
        await book.lookup("spell", "Fireball")
        cold_ms = 1000 * (time.perf_counter() - t0)
        exact, fuzzy = [], []
        for name in ("Fireball", "Aboleth", "Bag of Holding", "Cure Wounds", "Goblin") * 20:
            t = time.perf_counter()
            await book.lookup("spell" if name in ("Fireball", "Cure Wounds") else
                              "item" if name == "Bag of Holding" else "monster", name)
            exact.append(1000 * (time.perf_counter() - t))
            t = time.perf_counter()
            await book.lookup("spell", "firebal")
            fuzzy.append(1000 * (time.perf_counter() - t))
    result = {
        "file": path.name,
        "runs": repeat,
        "counts": counts,
        "seconds": {
            stage: {"p50": statistics.median(r[stage] for r in runs), "max": max(r[stage] for r in runs)}
            for stage in (*STAGES, "total", "raw_pymupdf")
        },
        "lookup_ms": {
            "cold_load": cold_ms,
            "exact_p50": _pct(exact, 0.5), "exact_p95": _pct(exact, 0.95),
            "fuzzy_p50": _pct(fuzzy, 0.5), "fuzzy_p95": _pct(fuzzy, 0.95),
        },  # fmt: skip
    }
    result["goal_met"] = result["seconds"]["total"]["p50"] <= GOAL_S
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=DEFAULT_SRD_PDF)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(bench(args.pdf, max(1, args.repeat)))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"SRD import of {result['file']} ({result['runs']} runs): " + ", ".join(
        f"{n} {k}" for k, n in result["counts"].items()))
    for stage, s in result["seconds"].items():
        if stage == "raw_pymupdf":
            continue
        share = 100 * s["p50"] / result["seconds"]["total"]["p50"]
        print(f"  {stage:<8} p50 {s['p50']:6.2f} s   max {s['max']:6.2f} s   ({share:4.0f}% of total)")
    raw = result["seconds"]["raw_pymupdf"]["p50"]
    print(f"  raw pymupdf text extraction of every page: p50 {raw:.2f} s; the whole import takes "
          f"x{result['seconds']['total']['p50'] / max(raw, 1e-9):.1f} that, its extract stage "
          f"x{result['seconds']['extract']['p50'] / max(raw, 1e-9):.1f}")
    lk = result["lookup_ms"]
    print(f"  lookup: cold load {lk['cold_load']:.0f} ms; cached exact p50 {lk['exact_p50']:.3f} ms "
          f"p95 {lk['exact_p95']:.3f} ms; fuzzy p50 {lk['fuzzy_p50']:.2f} ms p95 {lk['fuzzy_p95']:.2f} ms")
    print(f"goal (full import <= {GOAL_S:.0f} s at the median): {'met' if result['goal_met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_in_scratch_dir(main))

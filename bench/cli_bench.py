"""Command-line start-up: `lorekeeper --help`, `roll`, and a bad DATABASE_URL, wall time p50/p90 over N runs.

Run: `.venv/bin/python bench/cli_bench.py [--runs 10] [--json]`
Goals (issue 16): `--help` ≤ 0.5 s; a bad DATABASE_URL answered with one line within a few seconds.
Each run is a fresh process, as a user's shell starts it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = {
    "--help": (["--help"], {}),
    "roll 1d20+5": (["roll", "1d20+5"], {}),
    "bad DATABASE_URL": (["db", "status"], {"DATABASE_URL": "postgresql://x:y@127.0.0.1:1/db"}),
}


def _lorekeeper() -> list[str]:
    found = shutil.which("lorekeeper", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "gateway.cli"]


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def bench(runs: int) -> dict[str, dict[str, float]]:
    out = {}
    with tempfile.TemporaryDirectory(prefix="lorekeeper-bench-cli-") as data:
        base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"LOREKEEPER_DATA_DIR": data}
        for name, (args, extra) in CASES.items():
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run([*_lorekeeper(), *args], env=base | extra, cwd=REPO, capture_output=True, timeout=60,
                               check=False)  # fmt: skip
                times.append(time.perf_counter() - started)
            out[name] = {"p50_s": round(_pct(times, 0.5), 3), "p90_s": round(_pct(times, 0.9), 3)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = bench(args.runs)
    if args.json:
        print(json.dumps(result))
        return 0
    for name, r in result.items():
        print(f"{name:<18} p50 {r['p50_s']:.3f} s  p90 {r['p90_s']:.3f} s  ({args.runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

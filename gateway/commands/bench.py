"""`lorekeeper bench [--json] [NAME] [ARGS...]`: run one of the benchmarks in bench/ (no NAME: list them).

Each benchmark is a script that prints ratios and percentiles; this command runs it with the
same interpreter, passing any further arguments through (e.g. `lorekeeper bench dice --json`).
`lorekeeper bench --all` runs every one in turn at the small sizes of `QUICK` (what `make bench`
does: a few minutes on 2 cores), `--all --full` at their own sizes; a table of seconds and exit
codes closes the run.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["register", "available", "BENCH_DIR", "QUICK", "script_for", "run_all"]

REPO_ROOT = Path(__file__).resolve().parents[2]      # as gateway.settings.REPO_ROOT, without loading pydantic
BENCH_DIR = REPO_ROOT / "bench"

# the arguments of each benchmark in `--all` (make bench): small but still side by side and percentiles
QUICK: dict[str, tuple[str, ...]] = {
    "campaign_import": ("--repeat", "1"),
    "cli": ("--runs", "3"),
    "dice": ("--rolls", "1000"),
    "dm_quality": ("--situations", "2", "--max-tokens", "200"),
    "dm_turn": ("--quick",),
    "embedded_llm": ("--quick",),
    "gpu": ("--quick",),
    "prefix_reuse": ("--turns", "2", "--budget", "1500"),
    "retrieval": ("--queries", "90"),
    "sessions": ("--campaigns", "10", "--messages", "20", "--fair-rounds", "1"),
    "srd_import": ("--repeat", "1"),
    "table": ("--rounds", "20"),
    "validation": ("--calls", "500"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark from bench/ (no name: list them)")
    parser.add_argument("--json", action="store_true",
                        help="the listing as JSON (a benchmark takes its own --json after its name)")
    parser.add_argument("--all", action="store_true", help="run every benchmark, at small sizes (make bench)")
    parser.add_argument("--full", action="store_true", help="with --all: each at its own (full) size")
    parser.add_argument("name", nargs="?", help="the benchmark, e.g. dice, validation, srd_import, retrieval")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed through to the benchmark")
    parser.set_defaults(func=_bench)


def available() -> dict[str, str]:
    """Benchmark name → the first line of its docstring."""
    found = {}
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_"):  # shared helpers, not benchmarks
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        found[path.stem.removesuffix("_bench")] = doc.strip().splitlines()[0] if doc.strip() else ""
    return found


def script_for(name: str) -> Path:
    """The script of benchmark `name` (bench/NAME_bench.py, or bench/NAME.py)."""
    return next(p for p in (BENCH_DIR / f"{name}_bench.py", BENCH_DIR / f"{name}.py") if p.exists())


def run_all(full: bool = False, names: list[str] | None = None) -> int:
    """Every benchmark in turn (quick sizes unless `full`), then a table of seconds and exit codes; 1 if any failed."""
    rows = []
    for name in names or list(available()):
        passed = [] if full else list(QUICK.get(name, ()))
        print(f"== {name} {' '.join(passed)}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script_for(name)), *passed], cwd=REPO_ROOT, check=False).returncode
        rows.append((name, code, time.perf_counter() - started))
        print(flush=True)
    print("benchmark          seconds  result")
    for name, code, seconds in rows:
        print(f"{name:<18} {seconds:>7.1f}  {'ok' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for _, code, _ in rows) else 1


def _bench(args: argparse.Namespace) -> int:
    benches = available()
    if args.all:
        return run_all(args.full)
    if not args.name and args.json:
        print(json.dumps([{"name": name, "summary": summary} for name, summary in benches.items()]))
        return 0
    if not args.name:
        for name, summary in benches.items():
            print(f"{name:<18} {summary}")
        return 0
    name = args.name.removesuffix("_bench").removesuffix(".py")
    if name not in benches:
        print(f"error: there is no benchmark called {args.name!r}; try one of: {', '.join(benches)}", file=sys.stderr)
        return 2
    script = script_for(name)
    passed = ["--json", *args.args] if args.json else list(args.args)
    return subprocess.run([sys.executable, str(script), *passed], cwd=REPO_ROOT, check=False).returncode

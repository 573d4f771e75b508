"""`lorekeeper bench [--json] [NAME] [ARGS...]`: run one of the benchmarks in bench/ (no NAME: list them).

Each benchmark is a script that prints ratios and percentiles; this command runs it with the
same interpreter, passing any further arguments through (e.g. `lorekeeper bench dice --json`).
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path

__all__ = ["register", "available", "BENCH_DIR"]

REPO_ROOT = Path(__file__).resolve().parents[2]      # as gateway.settings.REPO_ROOT, without loading pydantic
BENCH_DIR = REPO_ROOT / "bench"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark from bench/ (no name: list them)")
    parser.add_argument("--json", action="store_true",
                        help="the listing as JSON (a benchmark takes its own --json after its name)")
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


def _bench(args: argparse.Namespace) -> int:
    benches = available()
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
    script = next(p for p in (BENCH_DIR / f"{name}_bench.py", BENCH_DIR / f"{name}.py") if p.exists())
    passed = ["--json", *args.args] if args.json else list(args.args)
    return subprocess.run([sys.executable, str(script), *passed], cwd=REPO_ROOT, check=False).returncode

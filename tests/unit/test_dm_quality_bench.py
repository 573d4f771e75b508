"""The DM quality bench, smoke-tested with the scripted backend on two situations (the real run uses the
embedded model: `lorekeeper bench dm_quality`). The bench's own judges are checked on known inputs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gateway.cli import main
from gateway.commands.bench import BENCH_DIR

METRICS = ("parseable replies", "illegal or unearned applied", "ending on a question", "numbers not from the engine",
           "tokens per turn", "context budget use", "prefix reuse", "reader-tier turns", "module text or engine lines",
           "narratives not prose", "system prompt leaks", "failed turns")  # fmt: skip


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dm_quality_bench", BENCH_DIR / "dm_quality_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_bench_runs_two_scripted_situations_and_prints_every_metric(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "dm.jsonl"
    script.write_text("\n".join(json.dumps(r) for r in (
        {"narrative": "Gulls wheel over the quay.", "rolls": [], "rule_lookups": [], "effects": []},
        {"narrative": "A chest of 1000 gp appears! What do you do next?", "rolls": [], "rule_lookups": [],
         "effects": [{"kind": "currency_change", "target": "brakka", "gp": 1000}]},
    )) + "\n", encoding="utf-8")  # fmt: skip
    assert main(["bench", "dm_quality", "--llm", f"scripted:{script}", "--situations", "2"]) == 0
    out = capfd.readouterr().out
    summary = out[out.index("parseable replies"):]
    assert [line.split("  ")[0] for line in summary.strip().splitlines()] == list(METRICS)
    assert "parseable replies            100.0 %" in out
    assert "illegal or unearned applied  0 " in out  # the 1000 gp were held, not applied
    assert "the model wrote 1 before the turn trimmed them" in out
    assert "numbers not from the engine  1" in out and "explore the quay" in out and "go into the inn" in out


def test_the_judges_of_the_bench() -> None:
    bench = _bench()
    assert not bench.is_prose("false") and not bench.is_prose("1976-02-30") and not bench.is_prose("1.2")
    assert bench.is_prose("Gulls wheel over the grey quay.")
    module = [bench.QUAY[1]]
    assert bench.borrowed_share(bench.QUAY[1], module) == 1.0
    assert bench.borrowed_share("A dragon made of teacups sings opera at dawn.", module) == 0.0
    before = bench.make_state(bench.SITUATIONS[0])
    brakka = before.characters["brakka"].model_copy(deep=True)
    brakka.currency = brakka.currency.model_copy(update={"gp": brakka.currency.gp + 1000})
    rich = before.replace("brakka", brakka)
    assert bench.unearned(before, rich, bench.SITUATIONS[0]) == ["coins +1000 gp"]
    assert bench.unearned(before, before, bench.SITUATIONS[0]) == []
    assert len(bench.SITUATIONS) == 20 and len({s.name for s in bench.SITUATIONS}) == 20

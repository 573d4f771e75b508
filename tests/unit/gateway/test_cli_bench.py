"""`lorekeeper bench`: lists the benchmarks in bench/ and refuses an unknown one."""

from __future__ import annotations

import json

import pytest

from gateway.cli import main
from gateway.commands.bench import BENCH_DIR, available


def test_every_benchmark_script_is_listed_with_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    scripts = {p.stem.removesuffix("_bench") for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_")}
    assert {"dice", "validation", "srd_import", "retrieval"} <= scripts
    assert set(available()) == scripts
    assert all(available().values()), "every benchmark needs a docstring saying what it measures"
    assert main(["bench"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert listed == scripts


def test_unknown_benchmark_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "warp-drive"]) == 2
    assert "there is no benchmark called 'warp-drive'" in capsys.readouterr().err


def test_the_listing_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {row["name"] for row in listed} == set(available())
    assert all(row["summary"] for row in listed)

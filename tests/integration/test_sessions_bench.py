"""`lorekeeper bench sessions`, smoke-sized (2 campaigns x 2 players x 3 messages, the Ray part skipped) on the
session's embedded PostgreSQL: every metric is printed, nothing is lost or answered twice, order is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main

METRICS = ("messages sent", "messages lost", "messages duplicated", "order kept per channel", "overhead alone",
           "all at once", "memory per idle session", "memory per idle actor", "actor start time",
           "turn latency without fair queue", "turn latency with fair queue")  # fmt: skip


def test_the_sessions_bench_runs_small_and_loses_nothing(bench_env: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "sessions", "--campaigns", "2", "--players", "2", "--messages", "3", "--no-actors",
                 "--fair-rounds", "1", "--model-delay", "0.005"]) == 0  # fmt: skip
    out = capfd.readouterr().out
    lines = out[out.index("messages sent"):].strip().splitlines()
    assert [line[:33].strip() for line in lines] == list(METRICS)
    figures = {line[:33].strip(): line[33:].strip() for line in lines}
    assert figures["messages sent"].startswith("12 plain messages in 2 channels")
    assert figures["messages lost"] == "0" and figures["messages duplicated"] == "0"
    assert figures["order kept per channel"] == "2/2 channels"
    assert figures["memory per idle actor"] == "not measured (--no-actors)"
    assert "p95" in figures["overhead alone"] and "max/min" in figures["turn latency with fair queue"]

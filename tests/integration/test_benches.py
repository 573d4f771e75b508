"""`lorekeeper bench`: every benchmark of issue #14 is registered, `--all` runs them (make bench), and the fast ones
run small here: dice, validation, the DM-turn overhead on the session's PostgreSQL, and the GPU benchmark's
client path against the stand-in vLLM server (a real child process). The model-bound and 10k-chunk ones are
too slow for the default suite (`make bench` runs them)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from gateway.commands import bench
from monitoring.gpu import read_gpus

FAKE = str(Path(__file__).resolve().parent / "fake_vllm_server.py")
ISSUE_14 = ("sessions", "retrieval", "srd_import", "dice", "validation", "embedded_llm", "dm_turn", "gpu")


def test_every_issue_14_benchmark_is_registered_with_a_quick_size() -> None:
    found = bench.available()
    for name in ISSUE_14:
        assert name in found and found[name], name
        assert bench.script_for(name).exists()
    assert set(bench.QUICK) <= set(found)          # no quick size for a benchmark that is gone
    assert set(found) <= set(bench.QUICK)          # every benchmark gets a small size in make bench


def test_an_unknown_benchmark_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "no_such"]) == 2
    assert "there is no benchmark called 'no_such'" in capfd.readouterr().err


def test_all_runs_each_and_closes_with_a_table(capfd: pytest.CaptureFixture[str]) -> None:
    assert bench.run_all(names=["dice", "validation"]) == 0
    out = capfd.readouterr().out
    assert "== dice --rolls 1000" in out and "== validation --calls 500" in out
    assert out.rstrip().splitlines()[-2].startswith("dice") and out.rstrip().endswith("ok")


def test_dice_and_validation_run_small(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "dice", "--rolls", "200"]) == 0
    assert main(["bench", "validation", "--calls", "100"]) == 0
    out = capfd.readouterr().out
    assert "p95" in out or "p99" in out


def test_the_dm_turn_overhead_bench_runs_small(bench_env: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "dm_turn", "--quick"]) == 0
    out = capfd.readouterr().out
    for kind in ("talk", "rolls"):
        line = next(line for line in out.splitlines() if line.strip().startswith(kind))
        assert "overhead p50" in line and "p95" in line and "% of the turn" in line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake_vllm() -> Any:
    port = _free_port()
    child = subprocess.Popen([sys.executable, FAKE, "serve", "stand-in/llama-a", "--host", "127.0.0.1", "--port",
                              str(port), "--served-model-name", "stand-in", "--max-num-seqs", "32",
                              "--max-model-len", "4096"], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_the_gpu_bench_measures_1_5_and_20_campaigns_against_a_vllm_server(
        fake_vllm: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "gpu", "--url", fake_vllm, "--quick"]) == 0
    out = capfd.readouterr().out
    assert "serving stand-in" in out
    for level in (1, 5, 20):
        line = next(line for line in out.splitlines() if line.strip().startswith(f"{level} campaign"))
        assert "tok/s aggregate" in line and "p95" in line
    assert "20 campaign(s) at once" in out and f"({20 * 7} tokens" in out   # the stand-in's 7 tokens a reply


def test_the_gpu_bench_says_plainly_when_there_is_nothing_to_measure(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "gpu", "--url", f"http://127.0.0.1:{_free_port()}"]) == 0
    assert "GPU benchmark skipped: no vLLM server answers at" in capfd.readouterr().out
    if not read_gpus():
        assert main(["bench", "gpu"]) == 0
        assert "GPU benchmark skipped: no GPU here" in capfd.readouterr().out

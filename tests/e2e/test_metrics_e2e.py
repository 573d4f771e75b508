"""`curl localhost:METRICS_PORT/metrics` during a console game: the installed `lorekeeper play` in a subprocess (a
fresh data dir, the real embedded PostgreSQL, canned storyteller replies), fed line by line on stdin so the game is
still running when /metrics is scraped; the inference, session and database figures must be real and non-zero.
Then a second game on a port already taken: a warning, and the game is played all the same."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from cli_command import lorekeeper_command
from exposition import samples

REPO_ROOT = Path(__file__).resolve().parents[2]
NARRATION = "Salt-stiff hinges groan as the chapel door gives."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _value(page: dict[str, float], pattern: str) -> float:
    """The sum of the samples whose `name{labels}` matches `pattern` (a regex)."""
    return sum(v for k, v in page.items() if re.fullmatch(pattern, k))


class _Game:
    """`lorekeeper play` with stdin and stdout piped; stdout lines are read on a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen([*lorekeeper_command(), "play", *args], cwd=cwd, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, text: str, timeout_s: float = 240.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, f"the game ended early: {self.seen}"
                continue
            self.seen.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never came; saw {self.seen}")

    def finish(self) -> tuple[int, str]:
        assert self.process.stdin is not None
        self.say("mira: !quit")
        self.process.stdin.close()
        self.process.wait(timeout=120)
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()


def test_metrics_during_a_console_game_have_real_values(tmp_path: Path) -> None:
    replies = tmp_path / "dm.jsonl"
    replies.write_text('{"narrative": "%s", "rolls": [], "rule_lookups": [], "effects": []}\n' % NARRATION)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL")}
    env.update(LOREKEEPER_DATA_DIR=str(tmp_path / "data"), METRICS_PORT=str(port), METRICS_HOST="127.0.0.1")
    game = _Game(["--seed", "7", "--llm", f"scripted:{replies}"], env, tmp_path)
    try:
        game.wait_for("Campaign:")
        game.say('mira: !create_character Mira "high elf" wizard')
        game.say("mira: !roll 1d20+5")
        game.say("mira: I search the drowned chapel")  # Mira is the only active player: her talk closes the batch
        game.wait_for(NARRATION)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        assert game.process.poll() is None  # scraped while the game runs
    finally:
        if game.process.poll() is None:
            returncode, stderr = game.finish()
        else:
            returncode, stderr = game.process.returncode, game.process.stderr.read()  # type: ignore[union-attr]
    assert returncode == 0, stderr
    s = samples(page)
    # inference: the storyteller's call, with its tokens, latency and time to first token
    assert _value(s, r'lorekeeper_llm_requests_total\{backend="scripted",outcome="ok"\}') >= 1
    assert _value(s, r'lorekeeper_llm_tokens_total\{backend="scripted",kind="completion"\}') > 0
    assert _value(s, r'lorekeeper_llm_ttft_seconds_count\{backend="scripted",.*\}') >= 1
    assert _value(s, r'lorekeeper_llm_latency_seconds_sum\{backend="scripted",.*\}') > 0
    # the session: one open and active, two commands and one talk message taken and answered, one DM turn
    assert s["lorekeeper_sessions_open"] == 1 and s["lorekeeper_sessions_active"] == 1
    campaign = 'campaign="the-drowned-lantern"'
    assert s[f'lorekeeper_messages_received_total{{{campaign},kind="command"}}'] == 2
    assert s[f'lorekeeper_messages_received_total{{{campaign},kind="talk"}}'] == 1
    assert s[f"lorekeeper_messages_processed_total{{{campaign}}}"] == 3
    assert s[f"lorekeeper_messages_pending{{{campaign}}}"] == 0
    assert s[f"lorekeeper_dm_turn_duration_seconds_count{{{campaign}}}"] == 1
    assert s[f"lorekeeper_dm_turn_duration_seconds_sum{{{campaign}}}"] > 0
    assert s[f"lorekeeper_batch_size_messages_sum{{{campaign}}}"] == 1
    # the database: the command and turn saves, the messages recorded, with their latency
    assert s['lorekeeper_db_write_duration_seconds_count{op="save_state"}'] >= 2
    assert s['lorekeeper_db_write_duration_seconds_sum{op="save_state"}'] > 0
    assert s['lorekeeper_db_write_duration_seconds_count{op="statement"}'] >= 3
    # the host, and the GPU reported as present or absent (never zeros for a card that is not there)
    assert s["lorekeeper_host_memory_total_bytes"] > 0 and s["process_resident_memory_bytes"] > 0
    if s["lorekeeper_gpu_present"] == 0:
        assert not any(k.startswith("lorekeeper_gpu_memory") for k in s)
    else:
        assert _value(s, r"lorekeeper_gpu_memory_total_bytes\{.*\}") > 0

    # a second game while the port is taken: a warning, and the game is played
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["METRICS_PORT"] = str(taken.getsockname()[1])
        script = tmp_path / "again.txt"
        script.write_text("mira: !roll 1d4\n")
        again = subprocess.run([*lorekeeper_command(), "play", "--script", str(script), "--llm", f"scripted:{replies}"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "metrics exporter not started" in again.stderr
    assert "rolls 1d4" in again.stdout

"""`lorekeeper play --ray` end to end: the installed CLI in a fresh data dir starts a local Ray, a director, the
PersistenceActor and the channel's SessionActor, and plays a script through it with the scripted model.
Slow: the first run imports the sample adventure and Ray starts (about a minute)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from cli_command import lorekeeper_command

pytestmark = pytest.mark.slow

SCRIPT = """\
mira: !roll 1d20+5
mira: I search the drowned chapel
bram: I keep watch at the door
wait 2
mira: !roll 1d4
"""


def test_play_ray_answers_a_script_through_a_session_actor(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT)
    replies = tmp_path / "dm.jsonl"
    replies.write_text('{"narrative": "Salt-stiff hinges groan as the chapel door gives.", "rolls": [], '
                       '"rule_lookups": [], "effects": []}\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL", "RAY_ADDRESS")}
    env |= {"LOREKEEPER_DATA_DIR": str(tmp_path / "data"), "BATCH_WINDOW_S": "1"}
    transcript = tmp_path / "t.jsonl"
    result = subprocess.run(
        [*lorekeeper_command(), "play", "--ray", "--no-rules", "--seed", "7", "--script", str(script),
         "--llm", f"scripted:{replies.name}", "--transcript", str(transcript)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(session actor on Ray)" in result.stdout
    dm_lines = [line for line in result.stdout.splitlines() if line.startswith("DM: ")]
    assert re.match(r"DM: mira rolls 1d20\+5: 1d20 \(\d+\) \+ 5 = \d+$", dm_lines[0])
    assert dm_lines[1] == "DM: Salt-stiff hinges groan as the chapel door gives."  # one turn for both
    assert len(dm_lines) == 3 and dm_lines[2].startswith("DM: mira rolls 1d4")
    kinds = [(r["author"], r["kind"]) for r in map(json.loads, transcript.read_text().splitlines())]
    assert kinds == [("mira", "command"), ("DM", "command_result"), ("mira", "player"), ("bram", "player"),
                     ("DM", "narrative"), ("mira", "command"), ("DM", "command_result")], (kinds, result.stdout)

"""`make play`'s path end to end: the installed `lorekeeper play` in a fresh data dir, fed a script.

The first run starts a new embedded PostgreSQL, migrates it, imports the shipped SRD and the sample
adventure, so this is what a new user's first game goes through; the second run finds the character
made in the first (the campaign's state is in the database) and writes a transcript.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from cli_command import lorekeeper_command

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
# two players at the table
mira: !roll 1d20+5 advantage
bram: !rules condition grappled
mira: !rules spell magic misile
bram: !roll 3d6+
mira: I search the drowned chapel
mira: !create_character Mira "high elf" wizard
mira: !roll arcana
bram: !quit
mira: !roll 1d4
"""


def test_a_scripted_console_game_in_a_fresh_data_dir(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text(SCRIPT)
    # canned storyteller replies: the default (auto) would load the embedded model, a slow test's job
    # (tests/e2e/test_reader_console_game.py)
    replies = tmp_path / "dm.jsonl"
    replies.write_text('{"narrative": "Salt-stiff hinges groan as the chapel door gives.", "rolls": [], '
                       '"rule_lookups": [], "effects": []}\n')
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL")}
    env["LOREKEEPER_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [*lorekeeper_command(), "play", "--script", str(script), "--seed", "7", "--llm", f"scripted:{replies}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Importing the SRD 5.1 rules")  # first run in this data dir
    assert "Importing the sample adventure" in out
    dm_lines = [line for line in out.splitlines() if line.startswith("DM: ")]
    assert re.match(r"DM: mira rolls 1d20\+5, advantage: 2d20kh1 \(\d+, \d+ dropped\) \+ 5 = \d+$", dm_lines[0])
    assert "Grappled" in out and "speed becomes 0" in out
    assert "(closest match for 'magic misile')" in out and "Magic Missile" in out
    assert "DM: I can't roll `3d6+`" in out
    assert "DM: Salt-stiff hinges groan as the chapel door gives." in out  # plain talk went to the storyteller
    assert re.search(r"DM: Mira rolls Arcana check \(\+\d\)", out)
    assert dm_lines[-1] == "DM: The session ends. Farewell, adventurers."
    # plain talk is batched (dm.session): Mira had no character, so no early close and, with no `wait`, no quiet
    # window on the script's virtual clock; `!quit` answers the open batch just before the farewell
    assert dm_lines[-2] == "DM: Salt-stiff hinges groan as the chapel door gives."
    assert "rolls 1d4" not in out  # nothing after !quit is played
    assert "INFO" not in result.stderr  # a one-shot command keeps the lifecycle log quiet

    again_script = tmp_path / "again.txt"
    again_script.write_text("mira: !roll arcana\nmira: !my_sheet\n")
    transcript = tmp_path / "t.jsonl"
    again = subprocess.run(
        [*lorekeeper_command(), "play", "--script", str(again_script), "--seed", "7", "--transcript", str(transcript)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "Importing" not in again.stdout  # the SRD and the adventure stay imported
    assert "Mira rolls Arcana check" in again.stdout  # her character came back from the database
    records = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [(r["author"], r["kind"]) for r in records] == [
        ("mira", "command"), ("DM", "command_result"), ("mira", "command"), ("DM", "command_result")]
    assert records[3]["text"].startswith("Mira")

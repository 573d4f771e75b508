"""`make play` with no GPU and no keys: the REAL embedded model plays the reader tier (slow: it loads the model).

A console script goes through the installed `lorekeeper play` in a fresh data dir (auto → the embedded
model). Every narrative must be the adventure's own text (the linking sentence aside), never the small
model's nonsense; the model loads once, on the first plain-talk turn, and says so once; the saved state
holds only places and NPCs the adventure has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dm.reader_text import reads_as_prose
from ingest.campaign.pipeline import parse_campaign_pdf
from cli_command import lorekeeper_command

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "campaigns" / "the-drowned-lantern.pdf"
SCRIPT = """\
mira: !create_character Mira "high elf" wizard
mira: I look around.
mira: We walk down to the tavern.
mira: I talk to Mother Grell.
mira: What does she know about Jory Flint?
mira: I search the room.
mira: We head out along the causeway to the lighthouse.
mira: !roll 1d20
"""
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_HINT = re.compile(r"^\(.*!\w+.*\)$")
_NOTHING_MORE = re.compile(r"^\w[\w' ]* search(?:es)? (.+) with care, but finds? nothing more\.")


def _flat(text: str) -> str:
    return " ".join(re.sub(r"(?im)^\s*read[ -]aloud\s*:\s*", "", text).split())


def _module_share(narrative: str, module: str, names: list[str]) -> float:
    """The share of the narrative's characters in sentences found verbatim in the module (or the engine's hint,
    or a bare name heading such as "Mother Grell.")."""
    sentences = [s for s in _SENTENCE.split(narrative) if s]
    found = sum(len(s) for s in sentences
                if s.rstrip(".") in names or _HINT.match(s) or s.rstrip(".") + "" in module or s in module)
    return found / max(1, sum(len(s) for s in sentences))


@pytest.fixture
def play_dir() -> Iterator[Path]:
    """A data dir outside pytest's numbered temp dirs, which a concurrent session may prune mid-test."""
    folder = Path(tempfile.mkdtemp(prefix="lorekeeper-reader-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_embedded_model_reads_the_adventure_aloud(play_dir: Path) -> None:
    tmp_path = play_dir
    parsed = parse_campaign_pdf(SAMPLE, set(), set())
    module = _flat("\n".join(c.text for c in parsed.chunks))
    places = {loc.name for loc in parsed.world.locations}
    people = {npc.name for npc in parsed.world.npcs}
    script = tmp_path / "session.txt"
    script.write_text(SCRIPT)
    transcript = tmp_path / "t.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "LOG_LEVEL", "GEMINI_API_KEY", "XAI_API_KEY", "VLLM_HOST")}  # fmt: skip
    env["LOREKEEPER_DATA_DIR"] = str(tmp_path / "data")
    started = time.perf_counter()
    result = subprocess.run([*lorekeeper_command(), "play", "--script", str(script), "--seed", "7", "--transcript",
                             str(transcript)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
                            check=False)  # fmt: skip
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("The storyteller is waking") == 1
    assert result.stdout.index("Mira") < result.stdout.index("The storyteller is waking")  # not at start: lazily
    records = [json.loads(line) for line in transcript.read_text().splitlines()]
    narratives = [r["text"] for r in records if r["kind"] == "narrative"]
    print("\n\n".join(narratives))
    assert len(narratives) == 6, narratives
    for text in narratives:
        assert "pauses, leafing through their notes" not in text, text  # no apology: every turn answered
        if _NOTHING_MORE.match(text):  # the engine's line for a search where the book hides nothing
            assert _NOTHING_MORE.match(text).group(1) in places, text  # type: ignore[union-attr]
            continue
        assert _module_share(text, module, sorted(places | people)) >= 0.6, text
        first = _SENTENCE.split(text)[0]
        assert first in module or first.rstrip(".") in people or reads_as_prose(first, places | people), text
    assert "Warmth and noise spill from the low doorway" in narratives[1]  # the tavern's read-aloud
    assert "Jory Flint drank here" in narratives[3]  # what Mother Grell knows, never her secret
    assert not any("Tam rows" in text for text in narratives)
    applied = [e["kind"] for r in records if r["kind"] == "narrative" for e in r.get("applied", [])]
    # the arrival at the first place after the opening, the tavern, the causeway; Mother Grell
    assert applied.count("location_change") == 3 and applied.count("npc_introduce") == 1
    state = subprocess.run([*lorekeeper_command(), "campaign", "state", "the-drowned-lantern", "--json"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert state.returncode == 0, state.stderr + state.stdout
    saved = json.loads(state.stdout)
    assert saved["location"] in places
    assert {npc["name"] if isinstance(npc, dict) else npc for npc in saved.get("npcs_met", [])} <= people
    assert [c["name"] for c in saved["characters"]] == ["Mira"]
    print(f"\nreader game: {len(narratives)} turns, {elapsed:.0f} s in all (model load included)")

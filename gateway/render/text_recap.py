"""Text for the story-so-far results: `!recap` and the DM's private answer to `!whisper`."""

from __future__ import annotations

from dm.commands.recap import Recapped
from dm.commands.whisper import Whispered
from gateway.render.text import renders

__all__: list[str] = []


@renders(Recapped)
def _recap(r: Recapped) -> str:
    if not r.text:
        return f"Previously on {r.campaign}: nothing yet. The story is still waiting for its first scene."
    turns = f" ({r.turns} turn{'s' if r.turns != 1 else ''} so far)" if r.turns else ""
    note = " (from the chronicle as it was last written; the storyteller could not retell it now)" \
        if r.source == "stored" else ""  # fmt: skip
    return f"Previously on {r.campaign}{turns}:\n{r.text}{note}"


@renders(Whispered)
def _whisper(r: Whispered) -> str:
    who = f"{r.player} ({r.character})" if r.character else r.player
    lines = [f"[private, for {who} only] {r.answer}"]
    lines += [f"[private] {line}" for line in r.mechanics]
    if r.dropped_effects:
        lines.append("[private] (A private word changes nothing in the world; the DM's proposed changes were "
                     "not applied.)")  # fmt: skip
    return "\n".join(lines)

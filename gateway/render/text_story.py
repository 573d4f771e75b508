"""Text for the storyteller's commands: a new campaign, an act summary, an NPC introduced, narrated owner changes."""

from __future__ import annotations

from dm.commands.admin import EventNarrated, PlotNarrated
from dm.commands.story import ActSummarized, CampaignCreated, NpcIntroduced
from gateway.render.text import renders

__all__: list[str] = []

UNAVAILABLE = "(The storyteller could not narrate this just now; the change is made.)"


def _listed(label: str, names: tuple[str, ...]) -> list[str]:
    return [f"{label}: {', '.join(names)}"] if names else []


@renders(CampaignCreated)
def _campaign(r: CampaignCreated) -> str:
    before = f" (instead of {r.previous})" if r.previous and r.previous != r.name else ""
    lines = [f"A new campaign: {r.name}. This channel now plays it{before}."]
    if r.from_import:
        lines.append("Built on the imported campaign's world.")
    if r.premise:
        lines.append(r.premise)
    lines += _listed("Villains", r.villains) + _listed("People", r.npcs) + _listed("Places", r.locations)
    lines += _listed("Plot threads", r.threads)
    for act in r.acts:
        lines.append(f"Act {act['number']}: {act['title']}")
    counts = f"{r.connections} connection{'s' * (r.connections != 1)}, {r.hooks} hook{'s' * (r.hooks != 1)}"
    lines.append(f"({counts}.)")
    if r.dropped:
        lines.append(f"(Repeated names left out: {', '.join(r.dropped)}.)")
    lines.append("")
    lines.append(f"The story opens at {r.opening_location}." + (f" {r.opening_scene}" if r.opening_scene else ""))
    return "\n".join(lines)


@renders(ActSummarized)
def _act(r: ActSummarized) -> str:
    return f"Act {r.act}: {r.title}\n{r.summary}"


@renders(NpcIntroduced)
def _npc(r: NpcIntroduced) -> str:
    head = f"{r.name}" + (f" ({r.role})" if r.role else "") + " enters the story."
    lines = [head]
    if r.narration:
        lines.append(r.narration)
    if r.appearance and not r.from_world:
        lines.append(f"Appearance: {r.appearance}")
    if r.personality:
        lines.append(f"Personality: {r.personality}")
    if r.voice_line:
        lines.append(f'{r.name}: "{r.voice_line.strip(chr(34))}"')
    if r.narration_unavailable:
        lines.append(UNAVAILABLE)
    return "\n".join(lines)


def _narration(text: str, unavailable: bool) -> list[str]:
    return [text] if text else ([UNAVAILABLE] if unavailable else [])


@renders(PlotNarrated)
def _plot(r: PlotNarrated) -> str:
    lines = [e["summary"] for e in r.applied] + [f"Refused: {e['summary']}" for e in r.refused]
    return "\n".join(lines + _narration(r.narration, r.narration_unavailable))


@renders(EventNarrated)
def _event(r: EventNarrated) -> str:
    text = f"Event triggered: {r.name}" + (" (new)" if r.new else "") + "."
    if r.description:
        text += f" {r.description}"
    return "\n".join([text, *_narration(r.narration, r.narration_unavailable)])

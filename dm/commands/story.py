"""The commands that need the model: the storyteller writes, the table keeps.

`!new_campaign DESCRIPTION` (owner) asks for a whole campaign in one bounded answer — built on the
channel's imported world when it has one — stores it as rows (`ctx.world`, one transaction) and binds
the channel to it. `!summarize_act` (owner) summarises the story so far into an act note (an event of
the campaign). `!introduce_npc NAME` (owner) brings in the world's NPC of that name, or a new one the
storyteller writes, as met. `narrate_change` gives `!advance_plot` / `!trigger_event` their short
narrative. With no storyteller the commands say so and change nothing; an answer that does not fit
changes nothing either.
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar

from pydantic import BaseModel
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from dm.campaign_gen import (
    ActSummary,
    GarbledStory,
    GeneratedCampaign,
    GeneratedNpc,
    Narration,
    act_prompt,
    campaign_prompt,
    clean,
    narration_prompt,
    npc_prompt,
    parse_answer,
    plan_campaign,
    schema_of,
)
from dm.commands.context import CampaignInfo, CommandContext
from dm.commands.registry import REGISTRY, Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments, CommandError, MalformedReply, Unavailable
from game.effects import NpcIntroduce, WorldEvent
from inference.errors import BadReply, InferenceError
from persistence.interfaces import OutlineNpc, WorldOutline

__all__ = ["ActSummarized", "CampaignCreated", "NpcIntroduced", "STORYTELLER", "narrate_change"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

STORYTELLER = "The storyteller (the AI DM), which {command} needs,"
CAMPAIGN_TOKENS = 1800
SHORT_TOKENS = 400
STORY_LINES = 40
_ACT = re.compile(r"^act (\d+): ", re.IGNORECASE)
_NPC_MATCH = 85  # rapidfuzz WRatio: "Vell" finds "Captain Vell"


class CampaignCreated(CommandResult):
    """`!new_campaign`: the campaign written and stored; this channel now plays it."""

    type: str = "campaign_created"
    name: str
    campaign_id: int
    channel_id: int
    premise: str = ""
    opening_location: str = ""
    opening_scene: str = ""
    locations: tuple[str, ...] = ()
    npcs: tuple[str, ...] = ()
    villains: tuple[str, ...] = ()
    threads: tuple[str, ...] = ()
    acts: tuple[dict[str, Any], ...] = ()  # {number, title, summary, threads}
    hooks: int = 0
    connections: int = 0
    from_import: bool = False
    previous: str | None = None
    dropped: tuple[str, ...] = ()  # repeated names the storyteller gave, left out


class ActSummarized(CommandResult):
    """`!summarize_act`: act `act`'s summary, kept as a campaign event; `lines` is how much story it read."""

    type: str = "act_summarized"
    act: int
    title: str
    summary: str
    lines: int = 0


class NpcIntroduced(CommandResult):
    """`!introduce_npc`: the NPC now met; `from_world` when the campaign already had them."""

    type: str = "npc_introduced"
    name: str
    role: str = ""
    personality: str = ""
    appearance: str = ""
    voice_line: str = ""
    narration: str = ""
    from_world: bool = False
    narration_unavailable: bool = False


# --- asking the storyteller -------------------------------------------------------------------------


def _who(ctx: CommandContext) -> str:
    return STORYTELLER.format(command=f"!{ctx.command or 'this command'}")


def _usage(ctx: CommandContext) -> str:
    spec = REGISTRY.get(ctx.command) if ctx.command else None
    return spec.usage if spec else ""


async def _ask(ctx: CommandContext, messages: Any, model: type[M], max_tokens: int, what: str) -> M:
    """One answer of the storyteller as `model`.

    Raises:
        Unavailable: no storyteller, or it could not answer. GarbledStory: the answer does not fit.
    """
    storyteller = ctx.require_storyteller(_who(ctx))
    try:
        data = await storyteller.generate_json(messages, schema_of(model), max_tokens)
    except BadReply:
        raise GarbledStory(what) from None
    except MalformedReply:
        raise GarbledStory(what, "it was not a JSON object") from None
    except InferenceError as exc:
        log.warning("storyteller failed: %s", exc, extra={"command": ctx.command})
        raise Unavailable("The storyteller (the AI DM)", "it could not answer just now") from None
    return parse_answer(model, data, what)


async def narrate_change(ctx: CommandContext, change: str) -> tuple[str, bool]:
    """A short narrative of an owner's change: (text, unavailable). No storyteller: ("", False).
    Never raises: the change stands whatever the storyteller does."""
    if ctx.storyteller is None:
        return "", False
    name = ctx.campaign.name if ctx.campaign else ""
    try:
        answer = await _ask(ctx, narration_prompt(name, ctx.state.location, change), Narration, SHORT_TOKENS,
                            "narration")  # fmt: skip
    except Exception:  # noqa: BLE001 - a narration is a garnish: the change is kept, the player is told
        log.warning("narration failed; the change stands", exc_info=True, extra={"command": ctx.command})
        return "", True
    text = clean(answer.narrative, 600)
    return text, not text


def _require_world(ctx: CommandContext) -> Any:
    if ctx.world is None:
        raise Unavailable("The campaign library (no database)")
    return ctx.world


# --- !new_campaign ----------------------------------------------------------------------------------


@command(
    "new_campaign",
    area="campaign",
    owner_only=True,
    needs_campaign=False,
    args=(Arg("description", ArgKind.TEXT, help="what the campaign is about"),),
    help="Start a new campaign from a description (the storyteller writes it).",
    examples=("!new_campaign A heist in a flooded city",),
    details="Built on this channel's imported world when it has one; the channel then plays the new campaign.",
)
async def new_campaign(ctx: CommandContext, description: str) -> CampaignCreated:
    text = clean(description, 2000)
    if len(text) < 3:
        raise BadArguments("Describe the campaign in a few words.", _usage(ctx))
    if len(text) > 1500:
        raise BadArguments(f"Keep the description under 1500 characters (it has {len(text)}).", _usage(ctx))
    ctx.require_storyteller(_who(ctx))
    world = _require_world(ctx)
    imported: WorldOutline = await world.outline(ctx.campaign.id) if ctx.campaign else WorldOutline()
    answer = await _ask(ctx, campaign_prompt(text, imported), GeneratedCampaign, CAMPAIGN_TOKENS, "campaign")
    plan, notes = plan_campaign(answer.model_dump(), text, imported)
    ref = await world.build(plan, ctx.channel_id)
    previous = ctx.campaign.name if ctx.campaign else None
    ctx.campaign = CampaignInfo(ref.id, ref.name, ctx.channel_id)  # the table sees the rebinding
    outline, settings = plan.outline, plan.settings
    return CampaignCreated(
        name=ref.name, campaign_id=ref.id, channel_id=ctx.channel_id, premise=settings["premise"],
        opening_location=plan.opening_location, opening_scene=settings["opening"]["text"],
        locations=tuple(p.name for p in outline.places), npcs=tuple(n.name for n in outline.npcs if not n.villain),
        villains=tuple(n.name for n in outline.npcs if n.villain), threads=tuple(t.title for t in outline.threads),
        acts=tuple(settings["acts"]), hooks=sum(len(t.hooks) for t in outline.threads),
        connections=len(outline.links), from_import=not imported.empty, previous=previous,
        dropped=tuple(notes["names"]),
    )  # fmt: skip


# --- !summarize_act ----------------------------------------------------------------------------------


def _acts(ctx: CommandContext) -> list[WorldEvent]:
    found = [(int(m.group(1)), e) for e in ctx.state.events.values() if (m := _ACT.match(e.name))]
    return [e for _, e in sorted(found, key=lambda pair: pair[0])]


@command(
    "summarize_act",
    area="campaign",
    owner_only=True,
    help="A summary of the story so far in this act (the storyteller writes it).",
    examples=("!summarize_act",),
    details="The summary is kept with the campaign as the event \"Act N: TITLE\".",
)
async def summarize_act(ctx: CommandContext) -> ActSummarized:
    campaign = ctx.require_campaign()
    ctx.require_storyteller(_who(ctx))
    story = await _require_world(ctx).story_so_far(campaign.id, limit=STORY_LINES)
    if not story:
        raise CommandError("Nothing has happened in this campaign yet, so there is no act to summarise; "
                           "nothing was changed.")  # fmt: skip
    earlier = _acts(ctx)
    prompt = act_prompt(campaign.name, story, [f"{e.name} - {e.description}" for e in earlier])
    answer = await _ask(ctx, prompt, ActSummary, SHORT_TOKENS, "act summary")
    title, summary = clean(answer.title, 80), clean(answer.summary, 600)
    if not title or not summary:
        raise GarbledStory("act summary", "it was empty")
    number = len(earlier) + 1
    name = f"Act {number}: {title}"
    events = {**ctx.state.events, name.lower(): WorldEvent(name=name, description=summary, status="resolved")}
    ctx.state = ctx.state.model_copy(update={"events": events})
    return ActSummarized(act=number, title=title, summary=summary, lines=len(story))


# --- !introduce_npc ----------------------------------------------------------------------------------


async def _world_npc(ctx: CommandContext, campaign_id: int, wanted: str) -> OutlineNpc | None:
    if ctx.world is None:
        return None
    npcs = {n.name: n for n in (await ctx.world.outline(campaign_id)).npcs}
    if wanted.lower() in {k.lower() for k in npcs}:
        return next(n for k, n in npcs.items() if k.lower() == wanted.lower())
    close = process.extract(wanted, list(npcs), scorer=fuzz.WRatio, processor=default_process,
                            score_cutoff=_NPC_MATCH, limit=2)  # fmt: skip
    if len(close) == 2 and close[0][1] - close[1][1] < 3:
        raise CommandError(f"{wanted!r} could be {close[0][0]} or {close[1][0]}; say which. Nothing was changed.")
    return npcs[close[0][0]] if close else None


def _introduce(ctx: CommandContext, name: str, description: str) -> None:
    key = name.lower()
    if key in ctx.state.npcs:
        raise CommandError(f"{ctx.state.npcs[key].name} has already been introduced; nothing was changed.")
    [outcome] = ctx.apply([NpcIntroduce(name=name, description=description[:1000])])
    if not outcome.accepted:
        raise CommandError(f"{outcome.summary} Nothing was changed.")


@command(
    "introduce_npc",
    area="campaign",
    owner_only=True,
    args=(Arg("name", ArgKind.TEXT, help="the NPC's name"),),
    help="Bring an NPC into the scene (the storyteller plays them).",
    examples=("!introduce_npc Captain Vell",),
    details="A name the campaign knows brings in that NPC; a new name gets an NPC the storyteller writes.",
)
async def introduce_npc(ctx: CommandContext, name: str) -> NpcIntroduced:
    campaign = ctx.require_campaign()
    wanted = clean(name.strip().strip('"'), 200)
    if not wanted or len(wanted) > 60:
        raise BadArguments("An NPC needs a name of 1 to 60 characters.", _usage(ctx))
    ctx.require_storyteller(_who(ctx))
    found = await _world_npc(ctx, campaign.id, wanted)
    if found is not None:
        _introduce(ctx, found.name, found.description)
        text, missing = await narrate_change(ctx, f"{found.name} ({found.role or 'an NPC'}) enters the scene. "
                                                  f"{found.description}")  # fmt: skip
        return NpcIntroduced(name=found.name, role=found.role, personality=found.personality,
                             appearance=found.description, narration=text, from_world=True,
                             narration_unavailable=missing)  # fmt: skip
    if wanted.lower() in ctx.state.npcs:
        raise CommandError(f"{ctx.state.npcs[wanted.lower()].name} has already been introduced; nothing was changed.")
    answer = await _ask(ctx, npc_prompt(wanted, campaign.name, ctx.state.location), GeneratedNpc, SHORT_TOKENS, "NPC")
    role, appearance = clean(answer.role, 240), clean(answer.appearance, 240)
    personality, voice = clean(answer.personality, 240), clean(answer.voice_line, 240)
    _introduce(ctx, wanted, ". ".join(x.rstrip(".") for x in (role, appearance, personality) if x))
    return NpcIntroduced(name=wanted, role=role, personality=personality, appearance=appearance, voice_line=voice,
                         narration=clean(answer.narrative, 600))  # fmt: skip

"""Campaign commands: `!load_campaign NAME` binds this channel to an imported campaign.

`!new_campaign`, `!summarize_act` and `!introduce_npc` are registered (so `!help` lists them) but need
the storyteller — the AI DM of the next issue — and say so until it is wired in.
"""

from __future__ import annotations

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments, Unavailable

__all__ = ["CampaignLoaded"]

STORYTELLER = "The storyteller (the AI DM), which {command} needs,"


class CampaignLoaded(CommandResult):
    """This channel now plays `name` (campaign `campaign_id`); `previous` is what it played before, if anything."""

    type: str = "campaign_loaded"
    name: str
    campaign_id: int
    channel_id: int
    previous: str | None = None


@command(
    "load_campaign",
    area="campaign",
    owner_only=True,
    needs_campaign=False,
    args=(Arg("name", ArgKind.TEXT, help="an imported campaign (lorekeeper campaign list)"),),
    help="Play an imported campaign in this channel.",
    examples=("!load_campaign the-drowned-lantern",),
)
async def load_campaign(ctx: CommandContext, name: str) -> CampaignLoaded:
    wanted = " ".join(name.split()).strip('"')
    if not wanted:
        raise BadArguments("Which campaign?", "!load_campaign NAME")
    services = ctx.require_services("The campaign library")
    previous = ctx.campaign.name if ctx.campaign else None
    info = await services.load_campaign(wanted, ctx.channel_id)  # UnknownCampaign lists the known ones
    ctx.campaign = info  # the table sees the rebinding: it stores no old state and drops its cache
    return CampaignLoaded(name=info.name, campaign_id=info.id, channel_id=info.channel_id, previous=previous)


def _needs_storyteller(command: str) -> Unavailable:
    return Unavailable(STORYTELLER.format(command=f"!{command}"))


@command(
    "new_campaign",
    area="campaign",
    owner_only=True,
    needs_campaign=False,
    args=(Arg("description", ArgKind.TEXT, help="what the campaign is about"),),
    help="Start a new campaign from a description (the storyteller writes it).",
    examples=("!new_campaign A heist in a flooded city",),
)
async def new_campaign(ctx: CommandContext, description: str) -> CommandResult:
    raise _needs_storyteller("new_campaign")


@command(
    "summarize_act",
    area="campaign",
    needs_campaign=True,
    help="A summary of the story so far in this act (the storyteller writes it).",
    examples=("!summarize_act",),
)
async def summarize_act(ctx: CommandContext) -> CommandResult:
    raise _needs_storyteller("summarize_act")


@command(
    "introduce_npc",
    area="campaign",
    owner_only=True,
    args=(Arg("name", ArgKind.TEXT, help="the NPC's name"),),
    help="Bring an NPC into the scene (the storyteller plays them).",
    examples=("!introduce_npc Captain Vell",),
)
async def introduce_npc(ctx: CommandContext, name: str) -> CommandResult:
    raise _needs_storyteller("introduce_npc")

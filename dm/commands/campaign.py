"""Campaign commands: `!load_campaign NAME` binds this channel to an imported campaign.

The campaign commands that need the storyteller (`!new_campaign`, `!summarize_act`, `!introduce_npc`)
live in `dm/commands/story.py`.
"""

from __future__ import annotations

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments

__all__ = ["CampaignLoaded"]


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

"""`!recap`: "previously on..." — the public story so far, retold on demand.

The model retells the latest rolling summary and the lines since it (`dm.history.recap`); without a
model, or when it fails, the stored summary and the latest DM lines answer instead. Only public lines
are used: a whisper never reaches a recap.
"""

from __future__ import annotations

from dm.commands.context import CommandContext
from dm.commands.registry import command
from dm.commands.results import CommandResult
from dm.errors import Unavailable
from dm.history import history_of, recap

__all__ = ["Recapped"]


class Recapped(CommandResult):
    """A recap: `text` (empty before anything happened), the turns it covers, and who wrote it."""

    type: str = "recap"
    campaign: str
    text: str = ""
    turns: int = 0
    source: str = "empty"  # "model", "stored" or "empty"


@command(
    "recap",
    aliases=("previously",),
    area="campaign",
    help='"Previously on...": the story so far, retold.',
    needs_campaign=True,
    examples=("!recap",),
)
async def recap_command(ctx: CommandContext) -> Recapped:
    campaign = ctx.require_campaign()
    store = history_of(ctx.history)
    if store is None:
        raise Unavailable("The story so far", "this table keeps no history")
    backend = getattr(ctx.narrator, "backend", None)
    told = await recap(backend if hasattr(backend, "generate") else None, store, campaign.id, ctx.state,
                       reader=getattr(ctx.narrator, "reader_backends", ()))  # fmt: skip
    return Recapped(campaign=campaign.name, text=told.text, turns=told.turns, source=told.source)

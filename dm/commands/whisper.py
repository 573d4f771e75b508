"""`!whisper TEXT`: a private word with the DM, answered to that player alone.

The DM turn (`ctx.narrator`) answers with a context built for the whisperer: the public story plus
their own earlier whispers, never anyone else's. The answer is private: the result names the one
player who may see it (`visible_to`), the message log marks the message so (`message_history.visible_to`),
and every other character's context, the rolling summaries and `!recap` leave it out. A whisper changes
nothing in the world: effects the model proposes in a private answer are dropped (and counted).
"""

from __future__ import annotations

from dm.canon_gate import hold_canon
from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.context import ChatLine
from dm.errors import MalformedReply, Unavailable
from dm.mechanics import mechanics_lines
from inference.errors import InferenceError

__all__ = ["Whispered"]

STORYTELLER = "The storyteller"


class Whispered(CommandResult):
    """The DM's private answer to `player`'s whisper (`said`); only `visible_to` may see either."""

    type: str = "whispered"
    transcript_kind = "whisper"
    player_id: int
    player: str
    character: str | None = None
    said: str
    answer: str
    mechanics: tuple[str, ...] = ()  # the engine's lines for any roll the answer needed
    visible_to: tuple[int, ...] = ()
    dropped_effects: int = 0  # changes the model proposed: a private word changes nothing


@command(
    "whisper",
    area="campaign",
    args=(Arg("text", ArgKind.TEXT, help="what you say or do, for the DM alone"),),
    help="A private word with the DM: only you see the answer, and the other characters never learn of it.",
    needs_campaign=True,
    examples=("!whisper I slip the ruby into my boot while the others argue",
              "!whisper What does my character know about the lighthouse keeper?"),
)  # fmt: skip
async def whisper_command(ctx: CommandContext, text: str) -> Whispered:
    campaign = ctx.require_campaign()
    turn = ctx.narrator
    if turn is None or not hasattr(turn, "think"):
        raise Unavailable(STORYTELLER, "no storyteller is at this table yet")
    found = ctx.state.character_of(ctx.caller.player_id)
    character = found[1].name if found else None
    said = " ".join(text.split())
    history = getattr(turn, "history", None) or ctx.history  # the whisperer's own story: public + their private lines
    try:
        thought = await turn.think(
            ctx.state, [ChatLine(ctx.caller.name, character, said)], rules=ctx.rules, campaign_id=campaign.id,
            campaign=campaign.name, players=dict(ctx.player_names), history=history,
            viewer=ctx.caller.player_id, private_to=ctx.caller.name,
        )  # fmt: skip
    except (InferenceError, MalformedReply) as exc:
        reason = exc.user_message if isinstance(exc, InferenceError) else "its answer made no sense"
        raise Unavailable(STORYTELLER, reason.rstrip(".")) from exc
    if hasattr(turn, "repair"):  # held to canon like any narrative: the dead stay dead in a whisper too
        await hold_canon(thought, ctx.state, ask=lambda note: turn.repair(thought, note),
                         store=getattr(turn, "canon", None), campaign_id=campaign.id)  # fmt: skip
    # Attacks and spells the engine resolved whole are not applied here: their lines would tell of hits that
    # never landed, so only checks and plain dice are shown, and the actions count with the dropped changes.
    actions = [r for r in thought.rolls if r.line and not r.refused]
    rolls = [r for r in thought.rolls if not (r.line and not r.refused)]
    return Whispered(
        player_id=ctx.caller.player_id, player=ctx.caller.name, character=character, said=said,
        answer=thought.final.narrative.strip(), mechanics=tuple(mechanics_lines(rolls, [])),
        visible_to=(ctx.caller.player_id,), dropped_effects=len(thought.final.effects) + len(actions),
    )  # fmt: skip

"""Table replies → Discord message parts: content and/or embeds, and whether the answer is private.

`message_parts(reply)` is the one function the bot calls. A command result with an embed builder
(`@embed_for(ResultClass)` from `gateway/discord/embed_basics.py`, in `gateway/discord/render_cards.py`: sheets,
inventory, turn order, rolls, attacks, spell casts, model status, system stats, rules entries, help) becomes embeds;
any other result is its console text
(`gateway.render.text.render_text`, the same words as the console). Narration is the DM's text, with its cited
rulings (`TableReply.sources`) as an embed footer. A whisper's answer (`Whispered`, or a refused `!whisper`) is
private: `ephemeral` is set and `visible_to` names the one player who may see it (an ephemeral followup for a
slash command, a direct message otherwise — the bot decides).

Every part respects Discord's limits (`gateway/discord/embed_limits.py`); long `content` is left whole for the
bot's 2,000-character splitter (`gateway/discord/splitting.py`).

    for part in message_parts(reply):
        await channel.send(content=part.content or None, embeds=list(part.embeds))
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from dm.commands.results import Refusal
from dm.table import TableReply
from gateway.discord.embed_basics import COLOURS, embed_for, text_card
from gateway.discord.embed_limits import Card, pack, to_embeds
from gateway.discord.render_cards import result_cards
from gateway.render.sources import sources_line
from gateway.render.text import render_text

__all__ = [
    "COLOURS",
    "Parts",
    "embed_for",
    "message_parts",
    "result_cards",
    "text_card",
]

_PRIVATE_KINDS = ("whisper",)
_PRIVATE_COMMANDS = ("whisper",)


@dataclass(frozen=True)
class Parts:
    """One Discord message: `content` (may exceed 2,000 characters: the bot splits it), up to 10 `embeds`
    (6,000 characters in all), and `ephemeral` for an answer only `visible_to` may see."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = ()
    ephemeral: bool = False
    visible_to: tuple[int, ...] = ()


def _private(reply: TableReply) -> tuple[bool, tuple[int, ...]]:
    result = reply.result
    visible = tuple(getattr(result, "visible_to", ()) or ())
    private = reply.kind in _PRIVATE_KINDS or bool(visible)
    if isinstance(result, Refusal) and result.command in _PRIVATE_COMMANDS:
        private = True
    return private, visible


def _embed_parts(cards: list[Card], ephemeral: bool, visible: tuple[int, ...]) -> list[Parts]:
    embeds = [embed for card in cards for embed in to_embeds(card)]
    return [Parts(embeds=tuple(group), ephemeral=ephemeral, visible_to=visible) for group in pack(embeds)]


def message_parts(reply: TableReply) -> list[Parts]:
    """The Discord messages for one table reply (see the module docstring)."""
    ephemeral, visible = _private(reply)
    if reply.result is not None:
        cards = result_cards(reply.result)
        if cards:
            return _embed_parts(cards, ephemeral, visible)
        return [Parts(content=render_text(reply.result), ephemeral=ephemeral, visible_to=visible)]
    cited = sources_line(reply.sources)
    if not cited:
        return [Parts(content=reply.text, ephemeral=ephemeral, visible_to=visible)] if reply.text.strip() else []
    footer = to_embeds(Card(footer=cited, colour=COLOURS["narrative"]))
    return [Parts(content=reply.text, embeds=tuple(footer[:1]), ephemeral=ephemeral, visible_to=visible)]

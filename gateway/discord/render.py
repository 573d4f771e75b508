"""Table replies → Discord message parts: content and/or embeds, and whether the answer is private.

`message_parts(reply)` is the one function the bot calls. A command result with an embed builder
(`@embed_for(ResultClass)`, in `gateway/discord/render_cards.py`: sheets, inventory, turn order, rolls,
attacks, spell casts, model status, system stats, rules entries, help) becomes embeds; any other result is its console text
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

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord

from dm.commands.results import CommandResult, Refusal
from dm.table import TableReply
from gateway.discord.embed_limits import Card, pack, to_embeds
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

R = TypeVar("R", bound=CommandResult)
CardBuilder = Callable[[Any], list[Card]]

COLOURS = {  # one colour per kind
    "narrative": 0x8E6B3A,
    "combat": 0xB03A2E,
    "dice": 0x2E86C1,
    "character": 0x28B463,
    "rules": 0x7D3C98,
    "system": 0x566573,
    "error": 0xE74C3C,
    "success": 0x27AE60,
    "critical": 0xF1C40F,
}

_BUILDERS: dict[type[CommandResult], CardBuilder] = {}
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


def embed_for(cls: type[R]) -> Callable[[Callable[[R], list[Card]]], Callable[[R], list[Card]]]:
    """Register an embed builder for a result class (subclasses use it too unless they have their own)."""

    def decorate(fn: Callable[[R], list[Card]]) -> Callable[[R], list[Card]]:
        _BUILDERS[cls] = fn
        return fn

    return decorate


_loaded: list[bool] = []


def _load() -> None:
    if not _loaded:
        importlib.import_module("gateway.discord.render_cards")
        _loaded.append(True)


def text_card(text: str, *, colour: int | None = None, title: str | None = None) -> Card:
    """A card from a text renderer's lines: the first line is the title (unless `title` is given), a line
    `Label: value` becomes a field, an indented line continues the field above it, other lines the description."""
    lines = [line for line in text.split("\n")]
    card = Card(colour=colour)
    if title is None and lines:
        card.title, lines = lines[0].strip(), lines[1:]
    else:
        card.title = title or ""
    description: list[str] = []
    fields: list[list[str]] = []
    for line in lines:
        label, sep, value = line.partition(": ")
        if line.startswith(" ") and fields:
            fields[-1][1] += "\n" + line.strip()
        elif line.endswith(":") and not line.startswith(" ") and len(line) <= 60:
            fields.append([line[:-1].strip(), ""])
        elif sep and not line.startswith(" ") and 0 < len(label) <= 40 and value.strip():
            fields.append([label.strip(), value.strip()])
        elif line.strip():
            description.append(line.strip())
    card.description = "\n".join(description)
    for name, value in fields:
        card.add(name, value or "-")
    return card


def result_cards(result: CommandResult) -> list[Card] | None:
    """The embed cards for a result, or None when it reads best as plain text."""
    _load()
    for cls in type(result).__mro__:
        builder = _BUILDERS.get(cls)  # type: ignore[arg-type]
        if builder is not None:
            return builder(result)
    return None


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

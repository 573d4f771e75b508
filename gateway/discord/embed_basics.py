"""What the Discord renderer and its card builders share: the colours, the builders' registry and `text_card`.

`gateway/discord/render_cards.py` registers a builder per result class with `@embed_for(ResultClass)`;
`gateway/discord/render.py` asks `render_cards.result_cards` for a result's cards. Both import this module,
which imports neither: render → render_cards → embed_basics, no way back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dm.commands.results import CommandResult
from gateway.discord.embed_limits import Card

__all__ = ["COLOURS", "CardBuilder", "builder_for", "embed_for", "text_card"]

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


def embed_for(cls: type[R]) -> Callable[[Callable[[R], list[Card]]], Callable[[R], list[Card]]]:
    """Register an embed builder for a result class (subclasses use it too unless they have their own)."""

    def decorate(fn: Callable[[R], list[Card]]) -> Callable[[R], list[Card]]:
        _BUILDERS[cls] = fn
        return fn

    return decorate


def builder_for(result_type: type[Any]) -> CardBuilder | None:
    """The builder registered for `result_type` or its nearest base class; None when there is none."""
    for cls in result_type.__mro__:
        builder = _BUILDERS.get(cls)
        if builder is not None:
            return builder
    return None


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

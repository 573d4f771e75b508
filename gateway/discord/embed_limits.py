"""Discord's embed limits, kept by construction: a `Card` (plain values) becomes as many `discord.Embed`s as it
needs, and embeds are packed into messages.

Limits (discord.com/developers/docs/resources/message#embed-object-embed-limits): title 256, description 4096,
25 fields, field name 256, field value 1024, footer 2048, author name 256, 6000 characters in all the embeds of
one message, 10 embeds per message. Long text is cut at line (else word) boundaries; a field too long for one
field continues in the next ("Spells (cont.)"); a card too big for one embed continues in the next embed.

    card = Card(title="Mira", description="HP 9/9", fields=[("Spells", "Fire Bolt, Light")], footer="SRD 5.1")
    messages = pack(to_embeds(card))    # list[list[discord.Embed]]: one inner list per message
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

__all__ = [
    "Card",
    "MAX_DESCRIPTION",
    "MAX_EMBEDS_PER_MESSAGE",
    "MAX_FIELDS",
    "MAX_FIELD_NAME",
    "MAX_FIELD_VALUE",
    "MAX_FOOTER",
    "MAX_TITLE",
    "MAX_TOTAL",
    "chunk_text",
    "pack",
    "to_embeds",
    "trim",
]

MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_TOTAL = 6000
MAX_EMBEDS_PER_MESSAGE = 10
_CONT = " (cont.)"


@dataclass
class Card:
    """An embed as plain values; `fields` are (name, value, inline)."""

    title: str = ""
    description: str = ""
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    footer: str = ""
    author: str = ""
    colour: int | None = None

    def add(self, name: str, value: str, inline: bool = False) -> Card:
        if name.strip() and value.strip():
            self.fields.append((name.strip(), value.strip(), inline))
        return self


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary, with "…" when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def chunk_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at line boundaries (else words, else anywhere)."""
    pieces: list[str] = []
    current = ""
    for line in text.strip().split("\n"):
        while len(line) > limit:  # one line too long on its own: cut at a space
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            pieces.append(current)
            current = line
        else:
            current = joined
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or ([""] if not text.strip() else [])


def _fields(card: Card) -> list[tuple[str, str, bool]]:
    out = []
    for name, value, inline in card.fields:
        name = trim(name, MAX_FIELD_NAME - len(_CONT))
        for i, piece in enumerate(chunk_text(value, MAX_FIELD_VALUE)):
            out.append((name if i == 0 else name + _CONT, piece, inline and i == 0))
    return out


def _new(card: Card, title: str, description: str) -> discord.Embed:
    embed = discord.Embed(title=title or None, description=description or None, colour=card.colour)
    if card.author:
        embed.set_author(name=trim(card.author, MAX_AUTHOR))
    return embed


def to_embeds(card: Card) -> list[discord.Embed]:
    """The card as one embed, or more when it is too big for one; every limit kept."""
    title = trim(card.title, MAX_TITLE)
    footer = trim(card.footer, MAX_FOOTER)
    budget = MAX_TOTAL - len(title) - len(footer) - len(trim(card.author, MAX_AUTHOR)) - 2 * len(_CONT)
    parts = chunk_text(card.description, min(MAX_DESCRIPTION, budget)) if card.description.strip() else [""]
    embeds = [_new(card, title if i == 0 else trim(title + _CONT, MAX_TITLE), p) for i, p in enumerate(parts)]
    for name, value, inline in _fields(card):
        last = embeds[-1]
        if len(last.fields) >= MAX_FIELDS or len(last) + len(name) + len(value) > budget:
            last = _new(card, trim(title + _CONT, MAX_TITLE), "")
            embeds.append(last)
        last.add_field(name=name, value=value, inline=inline)
    if footer:
        embeds[-1].set_footer(text=footer)
    return [e for e in embeds if len(e) or e.fields] or embeds[:1]


def pack(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: at most 10 per message and 6,000 characters in all."""
    messages: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        if not messages or len(messages[-1]) >= MAX_EMBEDS_PER_MESSAGE or size + len(embed) > MAX_TOTAL:
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += len(embed)
    return messages

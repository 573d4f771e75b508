"""Autocomplete for slash-command options that name an SRD entry: spells, items, conditions, monsters.

The names come from the rules book (`persistence.rules_book.RulesBook` over `SrdRepository`), which loads every
name once per process, so each keystroke is an in-memory match: names starting with what was typed first, then
names containing it, then close spellings (rapidfuzz), at most 25 (Discord's limit), each at most 100 characters.
A PLAYER option (`@player`) is a string, as typed after `!`: a mention, a player's or character's name, or a
word like `party`; its autocomplete offers the characters of the channel's campaign (and `party` where the
command takes it), read from the channel's table when the session runs in this process.

    complete = name_completer(lambda: book, "spells")
    await complete(interaction, "fire")   # [Choice(name="Fire Bolt", value="Fire Bolt"), Choice("Fireball"), ...]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from discord import app_commands
from rapidfuzz import fuzz, process

__all__ = ["AUTOCOMPLETE", "CAST_TAIL", "MAX_CHOICES", "match_names", "name_completer", "own_items",
           "player_completer", "rules_book_for"]

log = logging.getLogger(__name__)

MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100
_FUZZY_CUTOFF = 70

# (command, argument) → the rules kind whose names complete it
CAST_TAIL = re.compile(r"\s+(?:at|on)\s+.*$", re.IGNORECASE)  # `/cast`: the level and the targets after the spell
AUTOCOMPLETE: dict[tuple[str, str], str] = {
    ("spell", "name"): "spells",
    ("cast", "what"): "spells",
    ("condition", "name"): "conditions",
    ("set_condition", "condition"): "conditions",
    ("monster", "name"): "monsters",
    ("use_item", "item"): "items",
    ("add_item", "item"): "items",
}

Completer = Callable[[Any, str], Awaitable[list[app_commands.Choice[str]]]]


def match_names(names: list[str], typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Names starting with `typed` (case-insensitive), then containing it, then close spellings; at most `limit`."""
    key = " ".join(typed.lower().split())
    if not key:
        return names[:limit]
    starts = [n for n in names if n.lower().startswith(key)]
    found = list(dict.fromkeys(starts + [n for n in names if key in n.lower()]))
    if len(found) < limit and len(key) >= 3:
        close = process.extract(key, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=_FUZZY_CUTOFF)
        found = list(dict.fromkeys(found + [name for name, _, _ in close]))
    return found[:limit]


def _first_spellings(names: list[str]) -> list[str]:
    """`names` without repeats (case-insensitive), each where it first appears, as first spelled."""
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def rules_book_for(bot: Any) -> Any:
    """The rules book the bot's autocomplete reads: `bot.rules_book` if set, else one over `bot.db` (kept)."""
    book = getattr(bot, "rules_book", None)
    if book is None and getattr(bot, "db", None) is not None:
        from persistence.rules_book import RulesBook
        from persistence.srd_repository import SrdRepository

        book = RulesBook(SrdRepository(bot.db))
        bot.rules_book = book
    return book


def name_completer(book: Callable[[], Any], kind: str,
                   first: Callable[[Any], Awaitable[list[str]]] | None = None,
                   tail: re.Pattern[str] | None = None) -> Completer:  # fmt: skip
    """An autocomplete callback offering `kind` names from the rules book `book()` (None: no suggestions), after
    the names `first(interaction)` gives (the caller's own consumables for `/use_item`). What `tail` matches at
    the end of the typed text is kept after each name (`/cast what:firebal on goblin 1` → "Fireball on goblin 1")."""

    async def complete(interaction: Any, current: str) -> list[app_commands.Choice[str]]:
        found = tail.search(current) if tail is not None else None
        current, rest = (current[: found.start()], current[found.start():]) if found else (current, "")
        names: list[str] = []
        try:
            names += await first(interaction) if first is not None else []
            rules = book()
            names += await rules.names(kind) if rules is not None else []
        except Exception as exc:  # noqa: BLE001 - no SRD imported, the database away: no suggestions, no error
            log.info("autocomplete without names", extra={"kind": kind, "error": type(exc).__name__})
        shown = match_names(_first_spellings(names), current[:MAX_CHOICE_LENGTH])
        shown = [n + rest for n in shown if len(n + rest) <= MAX_CHOICE_LENGTH]
        return [app_commands.Choice(name=n, value=n) for n in shown]

    return complete


async def _state(bot: Any, channel_id: int) -> Any:
    """The channel's campaign state from its in-process table (None: no campaign, or the session is remote)."""
    hub = getattr(bot, "hub", None)
    session = getattr(hub, "sessions", {}).get(channel_id) if hub is not None else None
    table = getattr(session, "table", None)
    if table is None:
        return None
    return table.state_of(channel_id) or await table.load_state(channel_id)


async def _characters(bot: Any, channel_id: int) -> list[str]:
    """The names of the characters in the channel's campaign (empty when the session is not local)."""
    state = await _state(bot, channel_id)
    return [] if state is None else sorted(who.name for who in state.characters.values())


def own_items(bot: Any) -> Callable[[Any], Awaitable[list[str]]]:
    """The consumables the caller's character carries, for `/use_item` (empty without a local session)."""

    async def items(interaction: Any) -> list[str]:
        state = await _state(bot, int(interaction.channel_id or 0))
        found = None if state is None else state.character_of(interaction.user.id)
        if found is None:
            return []
        return [item.name for item in found[1].inventory.items if item.consumable]

    return items


def player_completer(bot: Any, words: tuple[str, ...] = ()) -> Completer:
    """An autocomplete callback offering the channel's characters by name, and `words` (such as "party")."""

    async def complete(interaction: Any, current: str) -> list[app_commands.Choice[str]]:
        try:
            names = await _characters(bot, int(interaction.channel_id or 0))
        except Exception as exc:  # noqa: BLE001 - the database away: no suggestions, no error
            log.info("autocomplete without characters", extra={"error": type(exc).__name__})
            names = []
        shown = match_names([*names, *words], current.lstrip("@")[:MAX_CHOICE_LENGTH])
        return [app_commands.Choice(name=n[:MAX_CHOICE_LENGTH], value=n[:MAX_CHOICE_LENGTH]) for n in shown]

    return complete

"""Rules lookups at the table: `!rules KIND NAME`, `!rules search TEXT`, and the short forms players
know from other bots (`!spell`, `!monster`, `!item`, `!condition`). Values come from the SRD 5.1
tables, never from memory; a fuzzy match says it is a guess and names the alternatives."""

from __future__ import annotations

from typing import Any

from dm.commands.context import CommandContext
from dm.commands.registry import Arg, ArgKind, command
from dm.commands.results import CommandResult
from dm.errors import BadArguments, Unavailable

__all__ = ["RulesEntry", "RulesSearchResult"]

RULES_USAGE = "!rules KIND NAME (spell, monster, item, equipment, condition, rule) or !rules search TEXT"
_KINDS = ("spell", "spells", "monster", "monsters", "creature", "item", "items", "magic-item", "magic_item",
          "equipment", "gear", "weapon", "armor", "condition", "conditions", "rule", "rules", "section")  # fmt: skip


class RulesEntry(CommandResult):
    type: str = "rules_entry"
    kind: str
    name: str
    query: str
    record: dict[str, Any]
    exact: bool = True


class RulesSearchResult(CommandResult):
    type: str = "rules_search"
    query: str
    hits: tuple[dict[str, Any], ...] = ()  # {kind, name, snippet}


def _book(ctx: CommandContext) -> Any:
    if ctx.rules is None:
        raise Unavailable("The rules library (the SRD database)", ctx.rules_off)
    return ctx.rules


async def _lookup(ctx: CommandContext, kind: str, name: str) -> RulesEntry:
    match = await _book(ctx).lookup(kind, name)
    return RulesEntry(kind=match.kind, name=match.name, query=name, record=match.record, exact=match.exact)


@command(
    "rules",
    area="rules",
    args=(Arg("query", ArgKind.TEXT, help="KIND NAME, or search TEXT"),),
    help="Look up the SRD 5.1: a spell, monster, item, condition or rule, or search it.",
    examples=("!rules spell fireball", "!rules condition grappled", "!rules search grapple"),
)
async def rules_command(ctx: CommandContext, query: str) -> RulesEntry | RulesSearchResult:
    kind, _, name = query.strip().partition(" ")
    name = name.strip()
    if not name:
        raise BadArguments("Say what to look up.", RULES_USAGE)
    if kind.lower() == "search":
        hits = await _book(ctx).search(name, limit=5)
        return RulesSearchResult(query=name, hits=tuple(
            {"kind": h.kind, "name": h.name, "snippet": h.snippet} for h in hits))  # fmt: skip
    if kind.lower() not in _KINDS:
        raise BadArguments(f"I don't know the rules kind {kind!r}.", RULES_USAGE)
    return await _lookup(ctx, kind.lower(), name)


def _short(kind: str, noun: str) -> None:
    @command(kind, area="rules", args=(Arg("name", ArgKind.TEXT),), help=f"Look up {noun} in the SRD 5.1.",
             examples=(f"!{kind} {'fireball' if kind == 'spell' else 'goblin' if kind == 'monster' else 'prone'}",))
    async def short_lookup(ctx: CommandContext, name: str) -> RulesEntry:
        return await _lookup(ctx, kind, name)


for _kind, _noun in (("spell", "a spell"), ("monster", "a monster"), ("condition", "a condition")):
    _short(_kind, _noun)

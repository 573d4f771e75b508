"""Text for SRD lookups: the entry's fields in the SRD's order, cut to fit one Discord message."""

from __future__ import annotations

from dm.commands.rules import RulesEntry, RulesSearchResult
from gateway.commands.rules import in_field_order, render
from gateway.render.text import renders

__all__: list[str] = []

MAX_RULES_REPLY = 1900


@renders(RulesEntry)
def _entry(r: RulesEntry) -> str:
    text = render(r.kind, in_field_order(r.kind, r.record))
    if len(text) > MAX_RULES_REPLY:
        text = text[:MAX_RULES_REPLY].rsplit("\n", 1)[0] + "\n…"
    return text if r.exact else f"(closest match for {r.query!r})\n{text}"


@renders(RulesSearchResult)
def _search(r: RulesSearchResult) -> str:
    if not r.hits:
        return f"Nothing in the SRD matches {r.query!r}."
    return "SRD matches: " + "; ".join(f"{h['name']} ({h['kind'].replace('_', ' ')})" for h in r.hits)

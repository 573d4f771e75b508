"""The prompt's token budget: a cap per part, then one fixed trim order, and a report of what it cost.

    counter = token_counter(backend)               # the backend's tokenizer if it has one, else chars / 4
    parts = {"srd": Part(srd_texts, cap=300), "recent": Part(lines, drop="oldest"), ...}
    report = fit(parts, budget=3000, fixed=fixed_tokens, counter=counter)

Each `Part` is a list of items (a passage, an SRD entry, a history line, one line of the state) that
is trimmed whole, one item at a time; the last item of a `truncate` part may be cut short instead.
First every part is held to its own cap; then, while the prompt is still over the budget, parts are
trimmed in `TRIM_ORDER` — SRD extras, then the campaign passages (lowest-ranked first), then the
scene's exits and NPCs (its place last), then the rolling summary, then the oldest recent lines, then
the state's detail (NPCs met and open threads
before creatures, the party last). The standing rules, the campaign's name and the players' new
messages are `fixed`: never cut. The report says how many tokens each part used and what was cut.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inference.interfaces import TokenCounter

__all__ = ["TRIM_ORDER", "BudgetReport", "Counter", "Part", "Shares", "estimate_tokens", "fit", "token_counter"]

TRIM_ORDER = ("srd", "passages", "scene", "summary", "recent", "state")
"""The order parts are trimmed in when the prompt is over budget (the first loses everything first)."""


def estimate_tokens(text: str) -> int:
    """A rough token count: characters / 4, rounded up."""
    return (len(text) + 3) // 4


@dataclass
class Counter:
    """Counts tokens with `count` (cached per text); `source` is "tokenizer" or "chars/4"."""

    count_fn: Callable[[str], int]
    source: str = "chars/4"
    _seen: dict[str, int] = field(default_factory=dict, repr=False)

    def __call__(self, text: str) -> int:
        if not text:
            return 0
        found = self._seen.get(text)
        if found is None:
            try:
                found = max(0, int(self.count_fn(text)))
            except Exception:  # noqa: BLE001 - a tokenizer not loaded yet, a backend that changed: estimate
                self.count_fn, self.source = estimate_tokens, "chars/4"
                found = estimate_tokens(text)
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen[text] = found
        return found


def token_counter(backend: Any = None) -> Counter:
    """The backend's own tokenizer when it offers `count_tokens(text)` (`TokenCounter`), else chars / 4."""
    if backend is not None and isinstance(backend, TokenCounter):
        return Counter(backend.count_tokens, "tokenizer")
    return Counter(estimate_tokens, "chars/4")


@dataclass(frozen=True)
class Shares:
    """Each trimmable part's cap as a share of the budget left after the fixed parts. They may add up to
    more than 1: a quiet part leaves room for the others, and the trim order settles the rest."""

    srd: float = 0.15
    passages: float = 0.40
    scene: float = 0.30
    summary: float = 0.15
    recent: float = 0.35
    state: float = 0.30

    def cap(self, name: str, room: int) -> int:
        return int(room * float(getattr(self, name, 1.0)))


@dataclass
class Part:
    """One trimmable part of the prompt: its items, which end loses items first, and its cap."""

    items: list[str]
    drop: str = "last"  # "last": lowest-ranked items sit at the end; "oldest": the first items go first
    truncate: bool = False  # the last remaining item may be cut short (summary, state)
    sep_tokens: int = 1  # the separator between items
    header_tokens: int = 0  # a heading, counted only while the part has items
    cap: int | None = None
    dropped: int = 0
    cut: bool = False

    def tokens(self, counter: Counter) -> int:
        if not self.items:
            return 0
        return self.header_tokens + sum(counter(i) for i in self.items) + self.sep_tokens * (len(self.items) - 1)

    def shed(self, counter: Counter, over: int) -> int:
        """Drop (or cut) about `over` tokens; returns how many were freed (0: nothing left to trim)."""
        if not self.items:
            return 0
        before = self.tokens(counter)
        if len(self.items) > 1 or not self.truncate:
            self.items.pop(0 if self.drop == "oldest" else -1)
            self.dropped += 1
        else:
            text = self.items[0]
            keep = max(0, counter(text) - over)
            cut = _cut(text, keep, counter, from_start=self.drop == "oldest")
            if cut == text or not cut:
                self.items.clear()
                self.dropped += 1
            else:
                self.items[0] = cut
                self.cut = True
        return before - self.tokens(counter)


def _cut(text: str, tokens: int, counter: Counter, *, from_start: bool) -> str:
    """`text` shortened to about `tokens` tokens at a word boundary, marked with an ellipsis."""
    if tokens <= 2:
        return ""
    ratio = len(text) / max(1, counter(text))
    chars = min(len(text) - 1, max(0, int(tokens * ratio) - 2))
    if from_start:
        piece = text[len(text) - chars:]
        piece = piece.split(" ", 1)[-1] if " " in piece else piece
        return "…" + piece
    piece = text[:chars]
    piece = piece.rsplit(" ", 1)[0] if " " in piece else piece
    return piece + "…"


@dataclass(frozen=True)
class BudgetReport:
    """What the prompt cost: tokens per part, what was trimmed and why, the budget and the counter used."""

    budget: int
    used: int
    parts: Mapping[str, int]
    trimmed: tuple[dict[str, Any], ...]
    counter: str
    over: bool = False
    kept: Mapping[str, int] = field(default_factory=dict)  # items left in each trimmable part

    def to_dict(self) -> dict[str, Any]:
        return {"budget": self.budget, "used": self.used, "share": round(self.used / self.budget, 3)
                if self.budget else None, "parts": dict(self.parts), "trimmed": [dict(t) for t in self.trimmed],
                "counter": self.counter, "over": self.over, "kept": dict(self.kept)}  # fmt: skip


def fit(parts: dict[str, Part], *, budget: int, fixed: Mapping[str, int], counter: Counter,
        order: tuple[str, ...] = TRIM_ORDER) -> BudgetReport:  # fmt: skip
    """Trim `parts` in place until the prompt fits `budget` (see the module docstring).

    `fixed` holds the tokens of the parts that are never cut (rules, campaign, new messages).
    """
    trimmed: dict[str, dict[str, Any]] = {}
    for name, part in parts.items():
        if part.cap is not None:
            _shed_to(part, part.cap, counter)
            _note(trimmed, name, part, "cap")
    fixed_total = sum(fixed.values())
    for name in order:
        part = parts.get(name)
        if part is None:
            continue
        over = fixed_total + sum(p.tokens(counter) for p in parts.values()) - budget
        if over <= 0:
            break
        before = (part.dropped, part.cut)
        _shed_to(part, max(0, part.tokens(counter) - over), counter)
        if (part.dropped, part.cut) != before:
            _note(trimmed, name, part, "window")
    sizes = {**dict(fixed), **{name: part.tokens(counter) for name, part in parts.items()}}
    used = sum(sizes.values())
    return BudgetReport(budget=budget, used=used, parts=sizes, trimmed=tuple(trimmed.values()),
                        counter=counter.source, over=used > budget,
                        kept={name: len(part.items) for name, part in parts.items()})  # fmt: skip


def _shed_to(part: Part, target: int, counter: Counter) -> None:
    while part.items and part.tokens(counter) > target:
        if part.shed(counter, part.tokens(counter) - target) <= 0:
            break


def _note(trimmed: dict[str, dict[str, Any]], name: str, part: Part, why: str) -> None:
    if not part.dropped and not part.cut:
        return
    entry = trimmed.setdefault(name, {"part": name, "dropped": 0, "cut": False, "why": why})
    entry["dropped"] = part.dropped
    entry["cut"] = part.cut
    if entry["why"] != why:
        entry["why"] = "cap+window"

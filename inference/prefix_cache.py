"""Longest-common-prefix KV reuse for the embedded engine: canonical prefill chunks and an LRU of prompts.

Pure bookkeeping (no torch): the engine stores each prompt's KV as an opaque value and asks, for a new
prompt, how many leading tokens it may take from which stored KV.

    cuts = chunk_cuts(ids, message_starts={1}, block=128)
    hit = cache.lookup(ids, cuts)          # None, or (stored kv, tokens to reuse)
    ...prefill ids[reused:] chunk by chunk at `cuts`...
    cache.remember(ids, cuts, kv)

Why cuts: the engine's int8 dynamic quantisation scales each forward pass's activations as a whole,
so the KV of token i depends on which tokens were prefilled in the same pass. A prompt is therefore
always prefilled in the same chunks — a cut at each message start and every `block` tokens after it,
decided left to right by the tokens alone — and only a prefix that ends on a cut of both prompts is
reused: its KV is then exactly what a fresh prefill of the new prompt would compute.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["PrefixCache", "chunk_cuts", "common_prefix_len"]


def chunk_cuts(ids: Sequence[int], message_starts: Collection[int], block: int) -> tuple[int, ...]:
    """The prefill chunk ends for `ids`, ascending, the last being `len(ids)`.

    A chunk ends before every token in `message_starts` and `block` tokens after the previous cut;
    each cut depends only on the tokens before it, so two prompts sharing a prefix share its cuts.
    """
    if block < 1:
        raise ValueError("block must be >= 1")
    cuts: list[int] = []
    last = 0
    for position in range(1, len(ids)):
        if ids[position] in message_starts or position - last >= block:
            cuts.append(position)
            last = position
    if ids:
        cuts.append(len(ids))
    return tuple(cuts)


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True, slots=True)
class _Entry:
    ids: tuple[int, ...]
    cuts: frozenset[int]
    kv: Any


class PrefixCache:
    """The KV of recent prompts, least recently used first out.

    Bounded by `max_entries` prompts and `max_tokens` stored tokens in all (a prompt longer than
    `max_tokens` is not kept). A prompt that extends a stored one (the next pass of the same turn)
    replaces it: the longer one offers every cut the shorter did up to its generation prompt.
    """

    def __init__(self, max_entries: int, max_tokens: int) -> None:
        if max_entries < 1 or max_tokens < 1:
            raise ValueError("the prefix cache needs room for at least one prompt")
        self.max_entries = max_entries
        self.max_tokens = max_tokens
        self._entries: OrderedDict[tuple[int, ...], _Entry] = OrderedDict()
        self._tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, ids: object) -> bool:
        """Whether the KV of exactly these prompt tokens is stored."""
        return isinstance(ids, Sequence) and tuple(ids) in self._entries

    @property
    def tokens(self) -> int:
        """Tokens stored over all entries."""
        return self._tokens

    def lookup(self, ids: Sequence[int], cuts: Sequence[int]) -> tuple[Any, int] | None:
        """(stored KV, tokens to reuse) for the best stored prefix of `ids`, or None.

        The reused length is a cut of both prompts, at most the common prefix, and short of the whole
        prompt by at least one token (the last token's logits come from a forward pass).
        """
        wanted = [cut for cut in cuts if cut < len(ids)]
        best: tuple[_Entry, int] | None = None
        for entry in self._entries.values():
            shared = common_prefix_len(entry.ids, ids)
            usable = max((cut for cut in wanted if cut <= shared and cut in entry.cuts), default=0)
            if usable and (best is None or usable > best[1]):
                best = (entry, usable)
        if best is None:
            return None
        self._entries.move_to_end(best[0].ids)
        return best[0].kv, best[1]

    def remember(self, ids: Sequence[int], cuts: Sequence[int], kv: Any) -> None:
        """Keep `kv` (the KV of exactly `ids`, prefilled at `cuts`); evict the least recently used."""
        key = tuple(ids)
        if not key or len(key) > self.max_tokens:
            return
        for old in [k for k in self._entries if len(k) <= len(key) and key[: len(k)] == k]:
            self._drop(old)
        self._entries[key] = _Entry(key, frozenset(cuts), kv)
        self._tokens += len(key)
        while len(self._entries) > self.max_entries or self._tokens > self.max_tokens:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[int, ...]) -> None:
        del self._entries[key]
        self._tokens -= len(key)

    def clear(self) -> None:
        self._entries.clear()
        self._tokens = 0

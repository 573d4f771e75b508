"""The embedded engine's prefix-cache bookkeeping: canonical cuts, longest reusable prefix, LRU bounds."""

from __future__ import annotations

import pytest

from inference.prefix_cache import PrefixCache, chunk_cuts, common_prefix_len

START = 1  # the message-start token (SmolLM2's <|im_start|>)


def prompt(*messages: list[int]) -> list[int]:
    ids: list[int] = []
    for body in messages:
        ids += [START, *body]
    return ids


def test_cuts_fall_at_each_message_start_and_every_block_after_it() -> None:
    ids = prompt([7] * 9, [8] * 3)  # message starts at 0 and 10
    assert chunk_cuts(ids, {START}, block=4) == (4, 8, 10, 14)
    assert chunk_cuts([], {START}, block=4) == ()
    with pytest.raises(ValueError):
        chunk_cuts(ids, {START}, block=0)


def test_a_shared_prefix_has_the_same_cuts_whatever_follows() -> None:
    a = prompt([7] * 9, [8] * 3)
    b = prompt([7] * 9, [9] * 20)
    shared = common_prefix_len(a, b)
    assert shared == 11
    assert [c for c in chunk_cuts(a, {START}, 4) if c <= 10] == [c for c in chunk_cuts(b, {START}, 4) if c <= 10]


def test_lookup_reuses_the_longest_cut_both_prompts_share() -> None:
    cache = PrefixCache(max_entries=4, max_tokens=1000)
    first = prompt([7] * 9, [8] * 3)
    cache.remember(first, chunk_cuts(first, {START}, 4), "kv-first")
    second = prompt([7] * 9, [8] * 2, [5] * 6)  # the same system message, the second message differs at its end
    hit = cache.lookup(second, chunk_cuts(second, {START}, 4))
    # common prefix 13 tokens; the cuts of both up to there: 4, 8, 10 (14 is past it)
    assert hit == ("kv-first", 10)
    other = prompt([6] * 9)
    assert cache.lookup(other, chunk_cuts(other, {START}, 4)) is None


def test_the_whole_prompt_is_never_reused_the_last_token_needs_a_pass() -> None:
    cache = PrefixCache(max_entries=4, max_tokens=1000)
    ids = prompt([7] * 9, [8] * 3)
    cuts = chunk_cuts(ids, {START}, 4)
    cache.remember(ids, cuts, "kv")
    assert cache.lookup(ids, cuts) == ("kv", 10)


def test_a_cut_only_one_prompt_has_is_not_reused() -> None:
    """The stored prompt ended mid-block: its last chunk was prefilled short, so its KV there differs
    from a longer prompt's full chunk and must not be reused."""
    cache = PrefixCache(max_entries=4, max_tokens=1000)
    short = prompt([7] * 5)  # cuts 4, 6
    cache.remember(short, chunk_cuts(short, {START}, 4), "kv")
    longer = prompt([7] * 9)  # cuts 4, 8, 10
    assert cache.lookup(longer, chunk_cuts(longer, {START}, 4)) == ("kv", 4)


def test_a_longer_pass_of_the_same_prompt_replaces_the_shorter() -> None:
    cache = PrefixCache(max_entries=4, max_tokens=1000)
    first = prompt([7] * 9)
    cache.remember(first, chunk_cuts(first, {START}, 4), "kv1")
    follow_up = first + prompt([8] * 5)
    cache.remember(follow_up, chunk_cuts(follow_up, {START}, 4), "kv2")
    assert len(cache) == 1 and cache.tokens == len(follow_up)
    assert follow_up in cache and first not in cache


def test_eviction_is_least_recently_used_within_both_bounds() -> None:
    cache = PrefixCache(max_entries=2, max_tokens=1000)
    a, b, c = prompt([2] * 5), prompt([3] * 5), prompt([4] * 5)
    for ids, kv in ((a, "a"), (b, "b")):
        cache.remember(ids, chunk_cuts(ids, {START}, 4), kv)
    assert cache.lookup(a + [9], chunk_cuts(a + [9], {START}, 4)) == ("a", 4)  # a is now the most recent
    cache.remember(c, chunk_cuts(c, {START}, 4), "c")
    assert a in cache and c in cache and b not in cache

    small = PrefixCache(max_entries=8, max_tokens=13)
    for ids in (a, b):
        small.remember(ids, chunk_cuts(ids, {START}, 4), "kv")
    assert len(small) == 2 and small.tokens == 12
    small.remember(c, chunk_cuts(c, {START}, 4), "kv")
    assert len(small) == 2 and a not in small and small.tokens == 12
    small.remember(prompt([5] * 20), [4], "too big")  # longer than the whole budget: not kept, nothing evicted
    assert len(small) == 2 and small.tokens == 12
    small.clear()
    assert len(small) == 0 and small.tokens == 0

"""Replies split for Discord: at most 2,000 characters a part, cut at paragraphs, then lines, then words."""

from __future__ import annotations

import pytest

from gateway.discord.splitting import DISCORD_LIMIT, split_message


def test_a_short_reply_is_one_part() -> None:
    assert split_message("The door creaks open.") == ["The door creaks open."]
    assert split_message("   \n\n ") == []


def test_paragraphs_stay_whole_and_in_order() -> None:
    paragraphs = [f"P{i} " + "word " * 150 for i in range(8)]  # ~755 characters each
    parts = split_message("\n\n".join(paragraphs))
    assert all(len(p) <= DISCORD_LIMIT for p in parts)
    assert [q.strip() for p in parts for q in p.split("\n\n")] == [p.strip() for p in paragraphs]
    assert len(parts) == 4  # two paragraphs fit in one message, three do not


def test_a_long_paragraph_is_cut_at_lines_then_words() -> None:
    lines = "\n".join(f"line {i} " + "x" * 90 for i in range(40))  # one paragraph of ~4,000 characters
    parts = split_message(lines, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).split("\n") == lines.split("\n")  # no line was cut
    words = " ".join(["lantern"] * 600)
    cut = split_message(words, limit=500)
    assert all(len(p) <= 500 for p in cut) and " ".join(cut) == words  # no word was cut


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    parts = split_message("a" * 4500)
    assert [len(p) for p in parts] == [2000, 2000, 500]


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_message("text", limit=0)

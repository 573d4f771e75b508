"""Plain output for a terminal: columns that line up with wide names, descriptions cut at a sentence."""

from __future__ import annotations

from gateway.commands._output import pad, to_json
from gateway.commands.campaign import _sentence


def test_wide_names_take_their_real_width() -> None:
    names = ["plain", "ドラゴンの巣", "🐉 lair", "café"]
    padded = [pad(n, 20) for n in names]
    import unicodedata

    def cells(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    assert {cells(p) for p in padded} == {20}


def test_descriptions_end_at_a_sentence_or_a_word() -> None:
    role = ("Proprietor of the Gutted Eel; widow of a fisherman lost at sea twenty years ago. She knows every "
            "sailor in Gullhaven by name and most of their debts, and she has never once forgiven the sea.")
    short = _sentence(role, limit=100)
    assert short.endswith("ago.") and "twenty" in short
    cut = _sentence("word " * 60, limit=50)
    assert cut.endswith("…") and not cut.endswith(" …") and len(cut) <= 51


def test_json_timestamps_are_iso_8601() -> None:
    from datetime import datetime, timezone

    assert to_json({"at": datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc)}) == '{"at": "2026-12-01T23:00:00+00:00"}'

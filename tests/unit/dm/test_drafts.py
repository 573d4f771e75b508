"""Narration drafts: the partial "narrative" of a reply cut anywhere, and the listener a streaming backend feeds."""

from __future__ import annotations

import asyncio
import json

import pytest

from dm.drafts import DraftListener, drafting, partial_narrative, restart_draft
from inference.interfaces import hear, token_listener
from inference.scripted import ScriptedBackend

FULL = json.dumps({"narrative": 'The door creaks open.\n"Who goes there?" a voice asks. Café – ok', "rolls": [],
                   "rule_lookups": [], "effects": []}, ensure_ascii=True)


@pytest.mark.parametrize(("raw", "expected"), [
    ("", ""),
    ("{", ""),
    ('{"narr', ""),
    ('{"narrative"', ""),
    ('{"narrative": ', ""),
    ('{"narrative": "', ""),
    ('{"narrative": "The do', "The do"),
    ('{"narrative":"A \\"quote\\', 'A "quote'),
    ('{"narrative":"line one\\nline two', "line one\nline two"),
    ('{"narrative":"caf\\u00e9 \\u00', "café"),
    ('```json\n{"narrative": "fenced', "fenced"),
    ('{"rolls": [{"reason": "narrative"}], "narrative": "after', "after"),
    ('{"effects": [{"narrative": "nested"}], "narrative": "top', "top"),
    ('{"effects": [{"narrative": "nested only', ""),
    ('{"narrative": "done", "rolls": []}', "done"),
])  # fmt: skip
def test_partial_narrative(raw: str, expected: str) -> None:
    assert partial_narrative(raw) == expected


def test_every_prefix_is_a_prefix_of_the_final_narrative() -> None:
    final = json.loads(FULL)["narrative"]
    for cut in range(len(FULL) + 1):
        assert final.startswith(partial_narrative(FULL[:cut])), FULL[:cut]
    assert partial_narrative(FULL) == final


def test_the_listener_reports_growth_only_and_restarts_per_generation() -> None:
    seen: list[tuple[int, str]] = []
    listener = DraftListener(7, lambda channel, text: seen.append((channel, text)))
    for piece in ('{"narr', 'ative": "Hel', "lo", '", "rolls": []}'):
        listener(piece)
    assert seen == [(7, "Hel"), (7, "Hello")]
    listener.restart()
    listener('{"narrative": "Second')
    assert seen[-1] == (7, "Second")


def test_a_failing_callback_is_switched_off() -> None:
    calls: list[str] = []

    def boom(channel: int, text: str) -> None:
        calls.append(text)
        raise RuntimeError("front end gone")

    listener = DraftListener(1, boom)
    listener('{"narrative": "a')
    listener("b")
    assert calls == ["a"]


def test_drafting_sets_and_resets_the_context_variable() -> None:
    assert token_listener.get() is None and restart_draft() is False
    with drafting(3, None) as nothing:
        assert nothing is None and token_listener.get() is None
    seen: list[str] = []
    with drafting(3, lambda _c, text: seen.append(text)) as listener:
        assert token_listener.get() is listener and restart_draft() is True
        hear('{"narrative": "x')
    assert token_listener.get() is None and seen == ["x"]


def test_the_scripted_backend_streams_to_the_listener_in_pieces() -> None:
    backend = ScriptedBackend([{"reply": json.loads(FULL), "token_delay_s": 0.0}])
    seen: list[str] = []

    async def run() -> str:
        with drafting(5, lambda _c, text: seen.append(text)):
            generation = await backend.generate([{"role": "user", "content": "hi"}], stream=restart_draft())
        return generation.text

    text = asyncio.run(run())
    assert len(seen) >= 2 and seen[-1] == json.loads(FULL)["narrative"]
    assert json.loads(text) == json.loads(FULL)


def test_no_listener_no_stream() -> None:
    backend = ScriptedBackend([{"reply": {"narrative": "quiet"}}])
    generation = asyncio.run(backend.generate([{"role": "user", "content": "hi"}], stream=True))
    assert json.loads(generation.text) == {"narrative": "quiet"}

"""The fair queue in front of one shared model: round-robin between campaigns, bounded in flight,
cancellation-safe, depths readable. Driven by the real scripted backend (entries with `delay_s`);
asserts orders and counts, never durations."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from inference.fair_queue import CampaignBackend, FairQueue
from inference.interfaces import Generation, InferenceBackend, JsonSchema, Message, TokenCounter
from inference.scripted import ScriptedBackend
from monitoring import metrics


class Watched:
    """The scripted backend, watched: who is on it now, the most at once, the order calls started."""

    def __init__(self, delay_s: float = 0.01, **kwargs: Any) -> None:
        self.inner = ScriptedBackend([{"text": "ok", "delay_s": delay_s}], **kwargs)
        self.name = self.inner.name
        self.started: list[str] = []
        self.now: dict[str, int] = {}
        self.peak_total = 0
        self.peak_each: dict[str, int] = {}

    @property
    def context_window(self) -> int:
        return self.inner.context_window

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        tag = messages[-1]["content"]
        campaign = tag.split("-")[0]
        self.started.append(tag)
        self.now[campaign] = self.now.get(campaign, 0) + 1
        self.peak_total = max(self.peak_total, sum(self.now.values()))
        self.peak_each[campaign] = max(self.peak_each.get(campaign, 0), self.now[campaign])
        try:
            return await self.inner.generate(messages, schema, max_tokens, temperature, stream)
        finally:
            self.now[campaign] -= 1

    async def health(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def _ask(view: InferenceBackend, tag: str) -> Any:
    return view.generate([{"role": "user", "content": tag}], max_tokens=8)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_campaigns_are_served_round_robin_not_in_arrival_order() -> None:
    backend = Watched()
    queue = FairQueue(backend, per_campaign=1, total=1)
    chatty, b, c = (queue.for_campaign(x) for x in ("a", "b", "c"))
    calls = [_ask(chatty, f"a-{i}") for i in range(4)] + [_ask(b, f"b-{i}") for i in range(2)]
    calls += [_ask(c, f"c-{i}") for i in range(2)]
    await asyncio.gather(*calls)
    assert backend.started == ["a-0", "b-0", "c-0", "a-1", "b-1", "c-1", "a-2", "a-3"]


async def test_a_chatty_campaign_does_not_hold_back_a_late_one() -> None:
    backend = Watched()
    queue = FairQueue(backend, per_campaign=1, total=1)
    chatty = [asyncio.create_task(_ask(queue.for_campaign("a"), f"a-{i}")) for i in range(10)]
    await _settle()
    late = asyncio.create_task(_ask(queue.for_campaign("b"), "b-0"))
    await asyncio.gather(*chatty, late)
    assert backend.started.index("b-0") <= 2  # served after at most the call in flight and one more, not ten


async def test_in_flight_is_bounded_per_campaign_and_overall() -> None:
    backend = Watched()
    queue = FairQueue(backend, per_campaign=2, total=5)
    calls = [_ask(queue.for_campaign(x), f"{x}-{i}") for x in "abcd" for i in range(6)]
    task = asyncio.gather(*calls)
    await _settle()
    assert sum(queue.in_flight().values()) == 5 and max(queue.in_flight().values()) == 2
    assert sum(queue.depths().values()) == 24 - 5
    await task
    assert backend.peak_total == 5 and max(backend.peak_each.values()) == 2
    assert len(backend.started) == 24 and queue.depths() == {} and queue.in_flight() == {}


async def test_depths_are_readable_and_go_to_the_gauge() -> None:
    queue = FairQueue(Watched(), per_campaign=1, total=1)
    tasks = [asyncio.create_task(_ask(queue.for_campaign("gauge-a"), f"gauge-a-{i}")) for i in range(3)]
    tasks.append(asyncio.create_task(_ask(queue.for_campaign("gauge-b"), "gauge-b-0")))
    await _settle()
    assert queue.depths() == {"gauge-a": 2, "gauge-b": 1}
    assert metrics.sample("lorekeeper_campaign_queue_depth", campaign="gauge-a") == 2
    assert queue.status()["waiting"] == 3 and queue.status()["in_flight"] == 1
    await asyncio.gather(*tasks)
    assert metrics.sample("lorekeeper_campaign_queue_depth", campaign="gauge-a") == 0


async def test_a_cancelled_waiter_leaves_its_queue_and_the_rest_still_run() -> None:
    backend = Watched()
    queue = FairQueue(backend, per_campaign=1, total=1)
    first = asyncio.create_task(_ask(queue.for_campaign("a"), "a-0"))
    gone = asyncio.create_task(_ask(queue.for_campaign("b"), "b-0"))
    kept = asyncio.create_task(_ask(queue.for_campaign("b"), "b-1"))
    await _settle()
    assert queue.depths() == {"b": 2}
    gone.cancel()
    await _settle()
    assert queue.depths() == {"b": 1}
    await asyncio.gather(first, kept)
    assert gone.cancelled() and backend.started == ["a-0", "b-1"]
    assert queue.in_flight() == {} and queue.depths() == {}


async def test_a_waiter_cancelled_right_after_its_grant_gives_the_slot_back() -> None:
    backend = Watched()
    queue = FairQueue(backend, per_campaign=1, total=1)
    async with queue.slot("a"):
        granted_then_cancelled = asyncio.create_task(_ask(queue.for_campaign("b"), "b-0"))
        after = asyncio.create_task(_ask(queue.for_campaign("c"), "c-0"))
        await _settle()
        assert queue.depths() == {"b": 1, "c": 1}
    assert queue.in_flight() == {"b": 1}  # leaving the slot granted it to b-0, which has not resumed yet
    granted_then_cancelled.cancel()
    await asyncio.wait_for(after, 10)  # a slot never given back would hang here
    assert granted_then_cancelled.cancelled() and backend.started == ["c-0"]
    assert queue.in_flight() == {} and queue.depths() == {}


async def test_a_call_cancelled_on_the_backend_frees_its_slot() -> None:
    backend = Watched(delay_s=30)
    queue = FairQueue(backend, per_campaign=1, total=1)
    stuck = asyncio.create_task(_ask(queue.for_campaign("a"), "a-0"))
    await _settle()
    assert queue.in_flight() == {"a": 1}
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    assert queue.in_flight() == {}


def test_the_view_is_an_inference_backend_with_the_real_name_and_window() -> None:
    queue = FairQueue(ScriptedBackend([{"text": "x"}], name="vllm", context_window=4096))
    view = queue.for_campaign(7)
    assert isinstance(view, InferenceBackend) and isinstance(view, CampaignBackend)
    assert view.name == "vllm" and view.context_window == 4096 and view.next_backend() == "vllm"
    assert queue.for_campaign(7) is view
    assert not isinstance(view, TokenCounter)  # the scripted backend counts no tokens: neither does its view


def test_the_view_counts_tokens_when_the_backend_does() -> None:
    class Counting(ScriptedBackend):
        def count_tokens(self, text: str) -> int:
            return len(text.split())

    view = FairQueue(Counting([{"text": "x"}])).for_campaign("a")
    assert isinstance(view, TokenCounter) and view.count_tokens("three small words") == 3


def test_caps_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FairQueue(ScriptedBackend([{"text": "x"}]), per_campaign=0)

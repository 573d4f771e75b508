"""Streamed narration: the edit throttle on an injected clock, and one channel's draft message."""

from __future__ import annotations

from typing import Any

from gateway.discord.streaming import DRAFT_MARK, EditThrottle, NarrationStream


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeMessage:
    def __init__(self, channel: FakeChannel, content: str) -> None:
        self.channel, self.content, self.deleted = channel, content, False

    async def edit(self, content: str, embeds: Any = None) -> None:
        self.channel.log.append(("edit", self.channel.clock.now, content))
        self.content = content

    async def delete(self) -> None:
        self.deleted = True


class FakeChannel:
    def __init__(self, clock: Clock) -> None:
        self.clock, self.log, self.messages = clock, [], []

    async def send(self, content: str = "", embeds: Any = None) -> FakeMessage:
        self.log.append(("send", self.clock.now, content))
        message = FakeMessage(self, content)
        self.messages.append(message)
        return message


def test_the_throttle_waits_out_the_interval() -> None:
    clock = Clock()
    throttle = EditThrottle(1.2, clock)
    assert throttle.wait() == 0.0
    throttle.mark()
    clock.now += 0.5
    assert abs(throttle.wait() - 0.7) < 1e-9
    clock.now += 2
    assert throttle.wait() == 0.0


async def _drain(stream: NarrationStream) -> None:
    while stream._pump is not None and not stream._pump.done():  # noqa: SLF001
        await stream._pump  # noqa: SLF001


async def test_drafts_post_once_then_edit_no_faster_than_the_interval_and_finish_settled() -> None:
    clock = Clock()
    channel = FakeChannel(clock)
    stream = NarrationStream(channel, interval=1.2, clock=clock, sleep=clock.sleep)
    stream.update("The door")
    stream.update("The door creaks")  # before the pump ran: only the newest is shown
    await _drain(stream)
    stream.update("The door creaks open")
    await _drain(stream)
    stream.update("The door creaks open slowly")
    await _drain(stream)
    await stream.finish("The door creaks open. (Perception 14)")
    kinds = [k for k, _, _ in channel.log]
    assert kinds == ["send", "edit", "edit", "edit"] and len(channel.messages) == 1
    assert channel.log[0][2] == "The door creaks" + DRAFT_MARK
    times = [t for _, t, _ in channel.log]
    assert all(b - a >= 1.2 - 1e-9 for a, b in zip(times, times[1:]))
    assert channel.messages[0].content == "The door creaks open. (Perception 14)" and stream.edits == 3


async def test_no_draft_shown_means_the_settled_text_is_posted_anew_and_long_text_overflows() -> None:
    clock = Clock()
    channel = FakeChannel(clock)
    stream = NarrationStream(channel, interval=1.2, clock=clock, sleep=clock.sleep)
    await stream.finish("Plain.")
    assert [k for k, _, _ in channel.log] == ["send"]
    stream2 = NarrationStream(channel, interval=1.2, clock=clock, sleep=clock.sleep)
    stream2.update("x")
    await _drain(stream2)
    await stream2.finish(("word " * 300 + "\n\n") * 2)
    assert [k for k, _, _ in channel.log][1:] == ["send", "edit", "send"]


async def test_updates_after_stop_are_ignored_and_discard_deletes() -> None:
    clock = Clock()
    channel = FakeChannel(clock)
    stream = NarrationStream(channel, interval=1.2, clock=clock, sleep=clock.sleep)
    stream.update("draft")
    await _drain(stream)
    await stream.discard()
    stream.update("late")
    assert channel.messages[0].deleted and len(channel.log) == 1


async def test_a_draft_post_in_flight_completes_before_the_final_edit() -> None:
    """The settled reply arriving while the first draft is still being posted edits that post (no orphan)."""
    import asyncio

    clock = Clock()
    channel = FakeChannel(clock)
    gate = asyncio.Event()
    send = channel.send

    async def slow_send(content: str = "", embeds: Any = None) -> FakeMessage:
        message = await send(content=content, embeds=embeds)  # Discord has it; the answer is still on its way
        await gate.wait()
        return message

    channel.send = slow_send  # type: ignore[method-assign]
    stream = NarrationStream(channel, interval=1.2, clock=clock, sleep=clock.sleep)
    stream.update("The door")
    await asyncio.sleep(0)  # the pump is now inside its post
    finishing = asyncio.create_task(stream.finish("The door opens."))
    await asyncio.sleep(0)
    gate.set()
    await finishing
    assert len(channel.messages) == 1 and channel.messages[0].content == "The door opens."

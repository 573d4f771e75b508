"""Fair sharing of one model between many campaigns: a queue per campaign, served round-robin.

    queue = FairQueue(router, per_campaign=1, total=8)
    turn = DMTurn(queue.for_campaign(campaign_id))     # an InferenceBackend: DMTurn needs no change
    queue.depths()                                     # {campaign_id: requests waiting}, for monitoring

Many campaigns share one vLLM. Without a gate, a chatty campaign that fires request after request
fills the model's batch and every other table waits behind it. Here each campaign's requests wait
in its own FIFO; whenever a slot frees, the campaign served longest ago (never served first, then
in order of arrival), among those with work waiting and under their own cap, gets it. At most `per_campaign` requests of one
campaign and `total` requests overall are in flight on the backend at once.

On Ray the queue lives in the `InferenceRouter` actor every session shares: a session's
`ActorBackend(..., campaign=channel_id)` names its campaign and the router's `generate` waits in
`FairQueue.slot(campaign)`; `status()["fair_queue"]` shows the depths.

No polling: a waiter sleeps on its own future, which is resolved by whoever frees a slot. A waiter
cancelled while queued leaves its queue; one cancelled just after it was granted gives its slot
back. The depth of each campaign's queue goes to the `lorekeeper_campaign_queue_depth` gauge.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from inference.interfaces import Generation, InferenceBackend, JsonSchema, Message
from monitoring import metrics

__all__ = ["DEFAULT_PER_CAMPAIGN", "DEFAULT_TOTAL", "CampaignBackend", "CountingCampaignBackend", "FairQueue"]

DEFAULT_PER_CAMPAIGN = 1
DEFAULT_TOTAL = 8


class FairQueue:
    """Round-robin gate in front of one shared `backend` (see the module docstring).

    Args:
        backend: the shared model (a backend or the router).
        per_campaign: most requests of one campaign in flight at once.
        total: most requests in flight at once over all campaigns.
    """

    def __init__(self, backend: InferenceBackend, *, per_campaign: int = DEFAULT_PER_CAMPAIGN,
                 total: int = DEFAULT_TOTAL) -> None:  # fmt: skip
        if per_campaign < 1 or total < 1:
            raise ValueError("per_campaign and total must be at least 1")
        self.backend = backend
        self.per_campaign = per_campaign
        self.total = total
        self._waiting: dict[Hashable, deque[asyncio.Future[None]]] = {}
        self._running: dict[Hashable, int] = {}
        self._ring: deque[Hashable] = deque()  # campaigns with waiters, in order of arrival (breaks ties)
        self._served: dict[Hashable, int] = {}  # campaign → the number of its last grant
        self._grants = 0
        self._busy = 0  # requests in flight over all campaigns
        self._views: dict[Hashable, CampaignBackend] = {}

    def for_campaign(self, campaign_id: Hashable) -> CampaignBackend:
        """The backend one campaign's DM turn uses (the same view for the same campaign)."""
        view = self._views.get(campaign_id)
        if view is None:
            cls = CountingCampaignBackend if callable(getattr(self.backend, "count_tokens", None)) else CampaignBackend
            view = self._views[campaign_id] = cls(self, campaign_id)
        return view

    # --- monitoring ------------------------------------------------------------------------------

    def depths(self) -> dict[Hashable, int]:
        """Requests waiting (not yet on the backend), per campaign that has any."""
        return {c: len(q) for c, q in self._waiting.items() if q}

    def in_flight(self) -> dict[Hashable, int]:
        """Requests on the backend now, per campaign that has any."""
        return {c: n for c, n in self._running.items() if n}

    def status(self) -> dict[str, Any]:
        return {"waiting": sum(len(q) for q in self._waiting.values()), "in_flight": self._busy,
                "per_campaign": self.per_campaign, "total": self.total,
                "depths": {str(c): n for c, n in self.depths().items()}}  # fmt: skip

    # --- the gate --------------------------------------------------------------------------------

    @asynccontextmanager
    async def slot(self, campaign_id: Hashable) -> AsyncIterator[None]:
        """Hold one of `campaign_id`'s in-flight slots for the body (waits its round-robin turn)."""
        await self._acquire(campaign_id)
        try:
            yield
        finally:
            self._release(campaign_id)

    async def _acquire(self, campaign_id: Hashable) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting.setdefault(campaign_id, deque())
        queue.append(waiter)
        if campaign_id not in self._ring:
            self._ring.append(campaign_id)
        self._publish(campaign_id)
        self._dispatch()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted, then cancelled before it ran: give it back
                self._release(campaign_id)
            else:
                self._leave(campaign_id, waiter)
            raise

    def _leave(self, campaign_id: Hashable, waiter: asyncio.Future[None]) -> None:
        queue = self._waiting.get(campaign_id)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue and campaign_id in self._ring:
                self._ring.remove(campaign_id)
        self._publish(campaign_id)
        self._dispatch()

    def _release(self, campaign_id: Hashable) -> None:
        self._running[campaign_id] -= 1
        self._busy -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Grant free slots: of the campaigns waiting and under their own cap, the one served longest ago."""
        while self._busy < self.total:
            eligible = (c for c in self._ring if self._running.get(c, 0) < self.per_campaign)
            campaign_id = min(eligible, key=lambda c: self._served.get(c, -1), default=None)
            if campaign_id is None:
                return
            queue = self._waiting[campaign_id]
            waiter = queue.popleft()
            if not queue:
                self._ring.remove(campaign_id)
            if waiter.done():  # cancelled, its task not resumed yet: drop it (its `_leave` finds it gone)
                continue
            self._grants += 1
            self._served[campaign_id] = self._grants
            self._running[campaign_id] = self._running.get(campaign_id, 0) + 1
            self._busy += 1
            waiter.set_result(None)
            self._publish(campaign_id)

    def _publish(self, campaign_id: Hashable) -> None:
        metrics.set_campaign_queue_depth(str(campaign_id), len(self._waiting.get(campaign_id, ())))


class CampaignBackend:
    """One campaign's view of the shared backend: an `InferenceBackend` whose calls wait their turn."""

    def __init__(self, queue: FairQueue, campaign_id: Hashable) -> None:
        self.queue = queue
        self.campaign_id = campaign_id
        self.name = queue.backend.name  # the tiers and the turn log read the real backend's name

    @property
    def context_window(self) -> int:
        return self.queue.backend.context_window

    def next_backend(self) -> str:
        """The backend a request would go to first (a router's plan; dm.tiers reads it)."""
        upcoming = getattr(self.queue.backend, "next_backend", None)
        name = upcoming() if callable(upcoming) else None
        return name if isinstance(name, str) and name else self.name

    async def generate(self, messages: Sequence[Message], schema: JsonSchema | None = None, max_tokens: int = 512,
                       temperature: float = 0.7, stream: bool = False) -> Generation:
        async with self.queue.slot(self.campaign_id):
            return await self.queue.backend.generate(messages, schema, max_tokens=max_tokens,
                                                     temperature=temperature, stream=stream)  # fmt: skip

    async def health(self) -> bool:
        return await self.queue.backend.health()

    async def close(self) -> None:
        """Nothing of its own to release: the shared backend is closed by its owner."""
        return None


class CountingCampaignBackend(CampaignBackend):
    """A view of a backend that counts tokens (`TokenCounter`): the count passes straight through."""

    def count_tokens(self, text: str) -> int:
        return int(self.queue.backend.count_tokens(text))  # type: ignore[attr-defined]

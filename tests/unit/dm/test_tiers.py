"""Capability tiers: the backend that answers decides the kind of DM turn (dm.tiers, Router.next_backend)."""

from __future__ import annotations

from typing import Any

from dm.context import ChatLine
from dm.tiers import FULL, READER, planned_backend, planned_tier, tier_for
from dm.turn import DMTurn
from game.effects import GameState
from inference.router import Router, RouterConfig
from inference.scripted import ScriptedBackend

PICK = {"intent": "look", "location": "none", "npc": "none", "passage": "passage 1", "link": ""}
STORY = {"narrative": "The candles gutter as the wind finds the cracks.", "rolls": [], "rule_lookups": [], "effects": []}


def test_the_embedded_model_reads_and_the_capable_ones_write() -> None:
    assert tier_for("embedded") == READER
    assert [tier_for(name) for name in ("vllm", "gemini", "xai", "scripted", "")] == [FULL] * 5
    assert tier_for("scripted", reader=("scripted",)) == READER
    assert tier_for("Embedded ") == READER


def test_the_plan_is_the_routers_first_backend_whose_breaker_is_not_open() -> None:
    now = [0.0]
    router = Router({"vllm": ScriptedBackend([STORY], name="vllm"), "embedded": ScriptedBackend([PICK], name="embedded")},
                    RouterConfig(order=("vllm", "embedded"), failure_threshold=1, reset_timeout_s=30),
                    clock=lambda: now[0])  # fmt: skip
    assert router.next_backend() == "vllm" and planned_tier(router) == FULL
    router.breakers["vllm"].record_failure()  # vLLM down: the next turn goes to the embedded model
    assert router.next_backend() == "embedded" and planned_tier(router) == READER
    now[0] = 31.0  # half-open: its probe is the next request
    assert router.next_backend() == "vllm"
    router.force_api(60)  # API mode skips the local vLLM
    assert router.next_backend() == "embedded"
    assert planned_backend(ScriptedBackend([STORY], name="gemini")) == "gemini"


async def test_a_fallback_mid_call_redoes_the_turn_in_the_reader_tier() -> None:
    """vLLM looked healthy (full tier planned) but failed; the embedded model answered the full prompt, so the
    turn is redone as a reader turn: the narrative is module text, not the small model's story."""
    vllm = ScriptedBackend([{"error": "unavailable"}], name="vllm")
    embedded = ScriptedBackend([STORY, PICK], name="embedded")
    router = Router({"vllm": vllm, "embedded": embedded}, RouterConfig(order=("vllm", "embedded"), retry_jitter_s=0))
    chunk = _Chunk(5, "The tide turns in the harbor. Gulls wheel over the wet slate roofs of the town.")
    turn = DMTurn(router, search=_Search([chunk]))
    thought = await turn.think(GameState(), [ChatLine("bob", None, "I look around.")], campaign_id=1)
    assert thought.backend == "embedded" and thought.raw is not None and thought.raw["tier"] == "reader"
    assert thought.final.narrative.startswith("The tide turns in the harbor.")
    assert "candles" not in thought.final.narrative
    assert len(embedded.requests) == 2 and len(embedded.requests[1].messages) == 2  # the small reader prompt


async def test_a_reader_turn_answered_by_a_capable_backend_is_redone_in_full() -> None:
    """The reader tier was planned (vLLM's breaker open) but by the time the request ran vLLM had recovered."""
    vllm = ScriptedBackend([{**PICK, "passage": "none"}, STORY], name="vllm")
    turn = DMTurn(_Planned(vllm, "embedded"))
    thought = await turn.think(GameState(), [ChatLine("bob", None, "I look around.")])
    assert thought.final.narrative == STORY["narrative"] and (thought.raw or {}).get("tier") != "reader"
    assert len(vllm.requests) == 2


class _Chunk:
    def __init__(self, cid: int, text: str) -> None:
        self.id, self.text, self.page, self.heading_path, self.kind, self.tags = cid, text, 3, ("Gullhaven",), "", ()


class _Search:
    """A `CampaignSearch` over a fixed list (retrieval has its own tests on the real database)."""

    def __init__(self, chunks: list[Any]) -> None:
        self.chunks = chunks

    async def search(self, campaign_id: int, query: str, embedding: Any = None, scene: Any = None, limit: int = 10,
                     fuzzy: Any = None) -> list[Any]:  # fmt: skip
        return self.chunks[:limit]


class _Planned:
    """A backend whose plan (next_backend) says one thing while another answers: a race with a recovery."""

    def __init__(self, inner: ScriptedBackend, planned: str) -> None:
        self.inner, self.planned, self.name = inner, planned, "router"

    def next_backend(self) -> str:
        return self.planned

    @property
    def context_window(self) -> int:
        return self.inner.context_window

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        return await self.inner.generate(*args, **kwargs)

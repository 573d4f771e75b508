"""What the model said over one DM turn's generations (`dm.turn`, `dm.reader`): its last reply, what the
engine gave it, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dm.actions import Resolution
from dm.mechanics import EngineRoll
from dm.reply import ParsedReply
from inference.interfaces import Message

__all__ = ["Thought"]


@dataclass
class Thought:
    """What the model said over one turn's generations: its last reply, and what the engine gave it."""

    final: ParsedReply
    prompt: list[Message]
    raw: dict[str, Any] | None
    rolls: list[EngineRoll] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    backend: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    generations: int = 0
    chunk_ids: list[int] = field(default_factory=list)  # campaign passages retrieved for the prompt (training log)
    canon: Any = None  # the canon gate's verdict on the final reply (dm.canon_gate.CanonVerdict)
    engine: Resolution | None = None  # the attacks and spells the engine resolved (dm.actions)
    sources: list[dict[str, Any]] = field(default_factory=list)  # SRD entries looked up for the model (dm.citations)
    chunks: list[Any] = field(default_factory=list)  # the passages themselves, to cite the ones the narrative uses
    campaign: str = ""
    budget: dict[str, Any] = field(default_factory=dict)  # the prompt's token budget report (dm.budget)

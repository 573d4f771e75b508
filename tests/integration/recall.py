"""Retrieval quality over a file of natural-language questions: recall@10 and MRR.

Shared by the sample-adventure and the held-out-adventure tests so both count a hit the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ingest.embedder import get_embedder
from persistence.database import Database
from persistence.retrieval import CampaignRetriever, fuzzy_terms


@dataclass(frozen=True)
class RecallReport:
    questions: int
    recall: float
    mrr: float
    misses: tuple[str, ...]

    def summary(self, label: str) -> str:
        return (f"\n{label}: recall@10 = {self.recall:.3f}, MRR = {self.mrr:.3f} over {self.questions} questions; "
                "missed:\n  " + "\n  ".join(self.misses))


async def measure_recall(db: Database, campaign_id: int, questions_file: Path) -> RecallReport:
    """Ask every question (`{"query", "expected"}` per line) with no scene; a hit is the chunk whose own
    heading is the expected one (a plot item carries its label after its section, so that counts too)."""
    questions = [json.loads(line) for line in questions_file.read_text().splitlines() if line.strip()]
    embedder = get_embedder()
    retriever = CampaignRetriever(db)
    vectors = embedder.embed([q["query"] for q in questions])
    found, reciprocal, misses = 0, 0.0, []
    for q, vector in zip(questions, vectors):
        hits = await retriever.search(campaign_id, q["query"], vector, None, 10,
                                      fuzzy_terms(q["query"], embedder.is_common))
        ranks = [n for n, h in enumerate(hits)
                 if q["expected"] in (h.heading_path[-2:] if h.kind == "plot" else h.heading_path[-1:])]
        if ranks:
            found += 1
            reciprocal += 1 / (ranks[0] + 1)
        else:
            misses.append(f'{q["query"]!r} (wanted {q["expected"]!r}, got {[h.heading_path[-1] for h in hits[:3]]})')
    return RecallReport(len(questions), found / len(questions), reciprocal / len(questions), tuple(misses))

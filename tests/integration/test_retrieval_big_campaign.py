"""Retrieval inside one campaign that holds thousands of chunks (issue #14: p95 ~40 ms there, goal ≤ 15 ms): the
full-text and trigram matches are read through their indexes when few chunks match, not by a sequential scan
of the whole campaign (the plan that cost 40-80 ms); migration 045 gives word_similarity and tsvector @@ tsquery
their real cost."""

from __future__ import annotations

import random
from typing import Any

from persistence.campaign_repository import CampaignRepository
from persistence.retrieval import _FUZZY_SLOTS, _OWN_WEIGHT, _WEIGHTS, CampaignRetriever, _search_sql, _tsquery

WORDS = ("harbour boat rope tide lantern smuggler cellar barrel gull net salt fish tavern dock storm wreck keeper "
         "village coin debt rumour ghost bell shore reef").split()


async def _big_campaign(db: Any, chunks: int = 3000) -> int:
    rng = random.Random(5)
    rows = [{"chunk_index": i, "page": 1 + i // 10, "page_end": None, "heading_path": [f"Part {i // 100}", f"Room {i}"],
             "kind": "text", "text": " ".join(rng.choice(WORDS) for _ in range(60)), "tags": [], "embedding": None}
            for i in range(chunks)]  # fmt: skip
    rows[1234]["text"] += " The lighthouse keeper Osric Tallow hides the ledger."
    rows[1234]["heading_path"] = ["Part 12", "Osric Tallow"]
    summary = await CampaignRepository(db).replace_document("big-one", source_file="big.pdf", sha256="0" * 64,
                                                            page_count=300, metadata={}, chunks=rows, world={})
    await db.execute("ANALYZE campaign_chunks")
    return summary.campaign_id


async def _plan(db: Any, campaign_id: int, query: str, fuzzy: list[str]) -> str:
    params: dict[str, Any] = {"emb": None, "cid": campaign_id, "n": 30, "k": 60, "tsq": _tsquery(query), "tags": [],
                              "limit": 10, "loc": None, "npcs": [], "w_own": _OWN_WEIGHT, "cap": 100, "tcap": 50,
                              "role_ids": [],
                              **{f"w_{k}": v for k, v in _WEIGHTS.items()}}  # fmt: skip
    params.update({f"w{i}": (fuzzy[i] if i < len(fuzzy) else None) for i in range(_FUZZY_SLOTS)})
    async with db.connection() as conn:
        rows = await (await conn.execute("EXPLAIN " + _search_sql(0), params, prepare=False)).fetchall()
    return "\n".join(next(iter(r.values())) for r in rows)


async def test_the_row_by_row_tests_carry_their_real_cost(clean_db: Any) -> None:
    costs = {r["proname"]: r["procost"] for r in await clean_db.fetch_all(
        "SELECT proname, procost FROM pg_proc WHERE proname IN ('word_similarity_op', 'word_similarity_commutator_op',"
        " 'ts_match_vq')")}  # fmt: skip
    assert costs == {"word_similarity_op": 1000, "word_similarity_commutator_op": 1000, "ts_match_vq": 100}


async def test_rare_words_in_a_big_campaign_are_found_through_the_indexes(clean_db: Any) -> None:
    campaign_id = await _big_campaign(clean_db)
    plan = await _plan(clean_db, campaign_id, "where does Osric hide the ledger?", ["osric"])
    assert "Bitmap Index Scan on campaign_chunks_tsv_idx" in plan, plan
    assert "Bitmap Index Scan on campaign_chunks_names_trgm_idx" in plan, plan
    assert "Seq Scan on campaign_chunks" not in plan, plan
    hits = await CampaignRetriever(clean_db).search(campaign_id, "where does Osric hide the ledger?", None, None, 5,
                                                    ["osric"])  # fmt: skip
    assert hits[0].heading_path == ("Part 12", "Osric Tallow")
    assert any("trigram" in reason for reason in hits[0].reasons) and any("fts" in r for r in hits[0].reasons)

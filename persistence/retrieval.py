"""Scene-aware hybrid retrieval over campaign chunks, fused with reciprocal-rank fusion.

Four rankings come back from one SQL round trip, each capped at `candidates` rows:

* scene tags — chunks tagged with the scene's location / NPCs / plot threads; the location's
  and NPCs' own chunks first, then by how many scene tags they carry;
* full text — the query's words OR-ed into a tsquery, ranked by the summed inverse document
  frequency of the words a chunk holds (BM25's idf, so a rare name outweighs "mill" or "village"),
  then `ts_rank_cd`; words found in more than 30% of the campaign's chunks are left out of the
  query (the campaign's own stop words). Document frequencies are counted once per word and
  campaign (up to `candidates`' match cap: in a huge campaign every common word looks alike and
  none is dropped) and cached in the process for a few minutes (`forget_campaign_stats` after an
  import);
* trigram — `word_similarity` of the query's rarer words against the chunk's `names` (heading
  path + tagged names; typo-tolerant: "Kelpwhistel" still finds "Kelpwhistle");
* vector — cosine distance to the query embedding (HNSW), when one is given;
* role — for a role question ("who runs the lighthouse?"), the own chunks of the NPCs whose role
  answers it (`persistence.roles`), weighted like the scene's own chunks.

The full-text ranking scores at most `rank_cap` (100) matching chunks and the trigram one `trigram_cap`
(50): exact in any campaign where fewer chunks match, bounded in one that holds thousands. Their matches
are planned as if all were read (a MATERIALIZED CTE, read lazily): under the LIMIT the planner bet on a
sequential scan meeting them early and read a whole 10,000-chunk campaign when few matched; migration 045
gives word_similarity and tsvector @@ tsquery their real cost, so both filters use their indexes when few
chunks match (bench/retrieval_bench.py, one 10,000-chunk campaign: p95 ~40-60 ms -> ~13-18 ms).

Each list contributes `weight / (rrf_k + rank)`; the best `limit` chunks come back with their
score and the reasons they matched. If nothing matches, the campaign overview and the current
location's chunk are returned, so a campaign with text never yields an empty context.

The query embedding is computed by the caller (persistence never imports `ingest`).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from persistence.campaign_repository import vector_literal
from persistence.database import Database
from persistence.interfaces import RetrievedChunk, Scene
from persistence.roles import rank_roles, role_question

__all__ = ["Scene", "RetrievedChunk", "CampaignRetriever", "tag_value", "fuzzy_terms", "forget_campaign_stats",
           "MAX_LIMIT", "is_stop_word"]

MAX_LIMIT = 10
_STOP = frozenset("""a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just let me more most my myself no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself tell know happen happens happened does find get got going thing things anything
something someone anyone stuff kind sort really much many also like want need whats where's who's there's
stats stat block statblock players party characters character room area place going inside people person guy look
looks located location around anybody everyone everything know knows""".split())
_OVERVIEW = r"(overview|introduction|background|synopsis|summary|premise)"
_OWN_WEIGHT = 3.0
_WEIGHTS = {"scene": 0.8, "fts": 1.0, "trigram": 0.4, "vector": 1.2, "role": _OWN_WEIGHT}


def is_stop_word(word: str) -> bool:
    """Whether a (lower-case) word carries no meaning for a search ("who", "the", "stats", "room")."""
    return word in _STOP


def tag_value(text: str) -> str:
    """Normalise a name into a tag value: "The Gutted Eel" → "Gutted_Eel", "Harbor Gate" → "Harbor_Gate"."""
    text = re.sub(r"^(the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)
    text = text.replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")


def _tsquery(query: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|\d+", query.lower()) if w not in _STOP]
    return " | ".join(dict.fromkeys(re.sub(r"[^a-z0-9]", "", w) for w in words if re.sub(r"[^a-z0-9]", "", w)))


_FUZZY_SLOTS = 4


def fuzzy_terms(query: str, is_common: Callable[[str], bool] | None = None) -> list[str]:
    """Words worth a typo-tolerant trigram match: names and words that are not common vocabulary.

    `is_common(word)` tells whether a word is ordinary vocabulary (the caller may use its
    tokenizer's word list); without it, capitalised words and words of 7+ letters qualify.
    """
    out = []
    for n, w in enumerate(re.findall(r"[A-Za-z][A-Za-z'\-]{3,}", query)):
        w = re.sub(r"'s$|'$", "", w.replace("\u2019", "'"))
        low = w.lower().strip("'-")
        if low in _STOP or "'" in low or len(low) < 4:
            continue
        capital = w[:1].isupper() and n > 0
        if capital or (not is_common(low) if is_common is not None else len(low) >= 7):
            out.append(low)
    return list(dict.fromkeys(out))[:_FUZZY_SLOTS]


_FTS_SLOTS = 8                # words weighted by idf (the rarest of a longer query)
_COMMON_FRACTION = 0.3        # a word in more chunks than this share of the campaign is its stop word
_COMMON_MIN = 5               # ... and in more than this many chunks
_STATS_TTL = 300.0            # seconds a campaign's word counts are trusted (imports elsewhere go stale)
_STATS_WORDS = 20_000         # per campaign, before the cache starts over


@dataclass
class _CampaignStats:
    chunks: int
    at: float
    df: dict[str, int] = field(default_factory=dict)


_STATS: dict[tuple[int, int], _CampaignStats] = {}      # (id of the Database, campaign id) → counts


def forget_campaign_stats(campaign_id: int | None = None) -> None:
    """Drop the cached word counts of one campaign (after it was re-imported), or of all."""
    for key in [k for k in _STATS if campaign_id is None or k[1] == campaign_id]:
        del _STATS[key]


def _idf(df: int, n: int) -> float:
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


def _scene_tags(scene: Scene) -> list[str]:
    """Raw tags from the scene's own words; the SQL adds the resolved names' tags and own chunk ids."""
    tags = [f"plot:{tag_value(t)}" for t in scene.plot_threads] + [f"npc:{tag_value(n)}" for n in scene.npcs]
    if scene.location:
        tags.append(f"location:{tag_value(scene.location)}")
    return tags


def _chunk(row: dict[str, Any], score: float, reasons: tuple[str, ...]) -> RetrievedChunk:
    return RetrievedChunk(row["id"], tuple(row["heading_path"]), row["page"], row["kind"], tuple(row["tags"]),
                          row["text"], score, reasons)


# a fixed number of fuzzy-word slots (unused ones NULL, folded away by the planner) keeps one SQL text
_TRIGRAM_WHERE = " OR ".join(f"%(w{i})s::text <%% names" for i in range(_FUZZY_SLOTS))
_TRIGRAM_SCORE = " + ".join(f"coalesce(word_similarity(%(w{i})s::text, names), 0)" for i in range(_FUZZY_SLOTS))
# the scene's rankings (its location's and NPCs' names resolved, the tagged chunks); without a scene
# they are left out of the SQL (fewer CTEs to plan: ~1-3 ms in a big campaign), for the same result
_SCENE_CTES = """loc AS (
            SELECT name, source_chunk_id FROM locations
            WHERE campaign_id = %(cid)s AND %(loc)s::text IS NOT NULL
              AND (lower(key) = lower(%(loc)s) OR lower(name) = lower(%(loc)s) OR similarity(name, %(loc)s) > 0.3)
            ORDER BY (lower(key) = lower(%(loc)s) OR lower(name) = lower(%(loc)s)) DESC, similarity(name, %(loc)s) DESC
            LIMIT 1),
        who AS (
            SELECT DISTINCT ON (q) n.name, n.source_chunk_id FROM unnest(%(npcs)s::text[]) AS q
            JOIN npcs n ON n.campaign_id = %(cid)s AND (lower(n.name) = lower(q) OR word_similarity(q, n.name) > 0.5)
            ORDER BY q, lower(n.name) = lower(q) DESC, word_similarity(q, n.name) DESC),
        scene AS (
            SELECT %(tags)s::text[] || coalesce(array_agg(kind || btrim(regexp_replace(regexp_replace(regexp_replace(
                       name, '^(the|a|an)[[:space:]]+', '', 'i'), '[''’]', '', 'g'), '[^0-9A-Za-z]+', '_', 'g'), '_')),
                       '{}') AS tags,
                   coalesce(array_agg(source_chunk_id) FILTER (WHERE source_chunk_id IS NOT NULL), '{}') AS own
            FROM (SELECT 'location:' AS kind, name, source_chunk_id FROM loc
                  UNION ALL SELECT 'npc:', name, source_chunk_id FROM who) s),
"""
_TAG_CTE = """        tag AS (
            SELECT id, score, row_number() OVER (ORDER BY score DESC, chunk_index) AS rnk FROM (
                SELECT c.id, c.chunk_index, (CASE WHEN c.id = ANY(s.own) THEN 100 ELSE 0 END
                       + cardinality(ARRAY(SELECT unnest(c.tags) INTERSECT SELECT unnest(s.tags))))::float8 AS score
                FROM campaign_chunks c, scene s
                WHERE c.campaign_id = %(cid)s AND cardinality(s.tags) > 0 AND (c.tags && s.tags OR c.id = ANY(s.own))
                ORDER BY score DESC, c.chunk_index LIMIT %(n)s) t),
"""
_NO_TAG_CTE = """        tag AS (SELECT NULL::bigint AS id, 0::float8 AS score, 0::bigint AS rnk WHERE false),
"""
_SEARCH_SQL = """
        WITH {scene_ctes}        vec AS (
            SELECT id, 1 - d AS score, row_number() OVER (ORDER BY d) AS rnk FROM (
                SELECT id, embedding <=> %(emb)s::vector AS d FROM campaign_chunks
                WHERE campaign_id = %(cid)s AND %(emb)s::text IS NOT NULL AND embedding IS NOT NULL
                ORDER BY d LIMIT %(n)s) v),
        -- the matches of the full-text and trigram rankings, planned as if all were read (so a selective query
        -- uses its index; under a LIMIT the planner bet on a sequential scan finding them early, and read the
        -- whole 10,000-chunk campaign when few matched) but read lazily: only the first %(cap)s are fetched
        fts_match AS MATERIALIZED (
            SELECT id, tsv, q FROM campaign_chunks, to_tsquery('english', %(tsq)s) AS q
            WHERE campaign_id = %(cid)s AND tsv @@ q),
        trg_match AS MATERIALIZED (
            SELECT id, names FROM campaign_chunks WHERE campaign_id = %(cid)s AND ({trigram_where})),
        fts AS (
            SELECT id, score, row_number() OVER (ORDER BY score DESC) AS rnk FROM (
                SELECT id, ts_rank_cd(tsv, q, 1) + {idf_score} AS score FROM (
                    -- ranking is exact while a query matches <= %(cap)s chunks (rank_cap);
                    -- past that only the first %(cap)s matches are ranked, to bound the latency
                    SELECT id, tsv, q FROM fts_match LIMIT %(cap)s) m
                ORDER BY score DESC LIMIT %(n)s) f),
{tag_cte}        trg AS (
            SELECT id, score, row_number() OVER (ORDER BY score DESC) AS rnk FROM (
                SELECT id, ({trigram_score})::float8 AS score FROM (
                    SELECT id, names FROM trg_match LIMIT %(tcap)s) m
                ORDER BY score DESC LIMIT %(n)s) g),
        role AS (
            SELECT r.id, 1.0::float8 / r.ord AS score, r.ord AS rnk
            FROM unnest(%(role_ids)s::bigint[]) WITH ORDINALITY AS r(id, ord)),
        hits AS (
            SELECT 'vector' AS src, id, score, rnk, %(w_vector)s::float8 AS w FROM vec
            UNION ALL SELECT 'role', id, score, rnk, %(w_role)s FROM role
            UNION ALL SELECT 'fts', id, score, rnk, %(w_fts)s FROM fts
            UNION ALL SELECT 'scene', id, score, rnk, CASE WHEN score >= 100 THEN %(w_own)s ELSE %(w_scene)s END FROM tag
            UNION ALL SELECT 'trigram', id, score, rnk, %(w_trigram)s FROM trg),
        fused AS (
            SELECT id, sum(w / (%(k)s + rnk)) AS fused,
                   array_agg(src || ' #' || rnk || ' (' || to_char(score, 'FM99990.000') || ')' ORDER BY w / (%(k)s + rnk) DESC)
                   AS reasons
            FROM hits GROUP BY id ORDER BY fused DESC LIMIT %(limit)s)
        SELECT c.id, c.heading_path, c.page, c.kind, c.tags, c.text, f.fused, f.reasons
        FROM fused f JOIN campaign_chunks c ON c.id = f.id ORDER BY f.fused DESC, c.chunk_index
"""


def _search_sql(rare_words: int, scene: bool = True) -> str:
    """The one round trip: the four rankings (vector, full text, scene tags, trigram) fused by reciprocal rank;
    the full-text score adds the idf of each of the `rare_words` the chunk holds."""
    idf_score = " + ".join(f"(CASE WHEN tsv @@ to_tsquery('english', %(t{i})s::text) "
                           f"THEN %(x{i})s::float8 ELSE 0 END)" for i in range(rare_words)) or "0"
    return _SEARCH_SQL.format(idf_score=idf_score, trigram_score=_TRIGRAM_SCORE, trigram_where=_TRIGRAM_WHERE,
                              scene_ctes=_SCENE_CTES if scene else "", tag_cte=_TAG_CTE if scene else _NO_TAG_CTE)


class CampaignRetriever:
    """Hybrid retrieval for one database; see the module docstring."""

    def __init__(self, db: Database, *, candidates: int = 30, rrf_k: int = 60, match_cap: int = 300,
                 rank_cap: int = 100, trigram_cap: int = 50) -> None:
        self._db = db
        self._cap = match_cap          # matches counted for a word's document frequency
        self._rank_cap = rank_cap      # matches scored by the full-text ranking
        self._trigram_cap = trigram_cap  # ... and by the trigram one (word_similarity is the costlier test)
        self._n = candidates
        self._k = rrf_k

    async def search(self, campaign_id: int, query: str, embedding: Sequence[float] | None = None,
                     scene: Scene | None = None, limit: int = MAX_LIMIT,
                     fuzzy: Sequence[str] | None = None) -> list[RetrievedChunk]:
        """The best `limit` (1..10) chunks for `query` in `scene`; never empty if the campaign has chunks.

        fuzzy: the words to match typo-tolerantly (see `fuzzy_terms`); default from the query alone.
        """
        limit = max(1, min(int(limit), MAX_LIMIT))
        scene = scene or Scene()
        tags = _scene_tags(scene)
        words = (list(fuzzy) if fuzzy is not None else fuzzy_terms(query))[:_FUZZY_SLOTS]
        terms, idfs = await self._weighted_terms(campaign_id, _tsquery(query))
        rare = sorted(zip(idfs, terms), reverse=True)[:_FTS_SLOTS]      # the rarest words carry the weight
        params: dict[str, Any] = {"emb": vector_literal(embedding), "cid": campaign_id, "n": self._n, "k": self._k,
                                  "tsq": " | ".join(terms), "tags": tags, "limit": limit, "loc": scene.location or None,
                                  "npcs": list(scene.npcs),
                                  "w_own": _OWN_WEIGHT, "cap": self._rank_cap, "tcap": self._trigram_cap,
                                  **{f"w_{k}": v for k, v in _WEIGHTS.items()}}
        params["role_ids"] = await self._role_chunks(campaign_id, query)
        params.update({f"w{i}": (words[i] if i < len(words) else None) for i in range(_FUZZY_SLOTS)})
        params.update({f"t{i}": word for i, (_, word) in enumerate(rare)})
        params.update({f"x{i}": idf for i, (idf, _) in enumerate(rare)})
        # never a prepared generic plan: the fuzzy words and the campaign's size decide whether the
        # trigram and full-text indexes pay off, so the planner must see the values
        async with self._db.connection() as conn:
            sql = _search_sql(len(rare), scene=bool(tags or scene.location or scene.npcs))
            rows = await (await conn.execute(sql, params, prepare=False)).fetchall()
        if not rows:
            return await self._fallback(campaign_id, tags, limit)
        return [_chunk(r, float(r["fused"]), tuple(r["reasons"])) for r in rows]

    async def _role_chunks(self, campaign_id: int, query: str) -> list[int]:
        """For a role question, the own chunks of the NPCs whose role answers it, best first (else none)."""
        question = role_question(query, is_stop_word)
        if question is None:
            return []
        rows = await self._db.fetch_all(
            "SELECT source_chunk_id, role FROM npcs WHERE campaign_id = %s AND source_chunk_id IS NOT NULL "
            "AND role <> '' ORDER BY id", (campaign_id,))
        return rank_roles(question, [(r["source_chunk_id"], r["role"]) for r in rows])[:self._n]

    async def _weighted_terms(self, campaign_id: int, tsq: str) -> tuple[list[str], list[float]]:
        """The query's words without the campaign's stop words, each with its idf (see the module docstring)."""
        words = [w for w in tsq.split(" | ") if w]
        if not words:
            return [], []
        now, key = time.monotonic(), (id(self._db), campaign_id)
        stats = _STATS.get(key)
        if stats is None or now - stats.at > _STATS_TTL or len(stats.df) > _STATS_WORDS:
            n = await self._db.fetch_value("SELECT count(*) FROM campaign_chunks WHERE campaign_id = %s",
                                           (campaign_id,))
            stats = _STATS[key] = _CampaignStats(int(n or 0), now)
        unknown = [w for w in words if w not in stats.df]
        if unknown:
            # one GIN lookup per new word, bounded like the full-text ranking itself
            rows = await self._db.fetch_all(
                """SELECT t, (SELECT count(*) FROM (SELECT 1 FROM campaign_chunks WHERE campaign_id = %s
                                 AND tsv @@ to_tsquery('english', t) LIMIT %s) m) AS df
                   FROM unnest(%s::text[]) AS t""", (campaign_id, self._cap, unknown))
            stats.df.update({r["t"]: int(r["df"]) for r in rows})
        n = max(stats.chunks, 1)
        # a tiny campaign (a one-page handout) has no stop words of its own: a word in 2 of 4 chunks still counts
        common = max(_COMMON_FRACTION * n, _COMMON_MIN)
        kept = [w for w in words if stats.df.get(w, 0) <= common] or words
        return kept, [_idf(min(stats.df.get(w, 0), n), n) for w in kept]

    async def _fallback(self, campaign_id: int, tags: list[str], limit: int) -> list[RetrievedChunk]:
        """Nothing scored: the overview (intro/background) chunk and the current location's chunk."""
        location_tags = [t for t in tags if t.startswith("location:")]
        rows = await self._db.fetch_all(
            f"""(SELECT id, heading_path, page, kind, tags, text, 'overview' AS why FROM campaign_chunks
                 WHERE campaign_id = %s AND chunk_index < 100
                 ORDER BY (heading ~* '{_OVERVIEW}') DESC, chunk_index LIMIT 1)
                UNION ALL
                (SELECT id, heading_path, page, kind, tags, text, 'current location' FROM campaign_chunks
                 WHERE campaign_id = %s AND tags && %s::text[] ORDER BY (kind = 'location') DESC, chunk_index LIMIT 1)""",
            (campaign_id, campaign_id, location_tags))
        out, seen = [], set()
        for r in rows:
            if r["id"] in seen:
                continue
            seen.add(r["id"])
            out.append(_chunk(r, 0.0, (f"fallback: {r['why']}",)))
        return out[:limit]

-- 045: retrieval inside one big campaign (persistence/retrieval.py). Its trigram filter `word <% names` and
-- its full-text filter `tsv @@ query` run, row by row, word_similarity over a chunk's names (~20 us) and a
-- match over its (compressed) tsvector (~5-20 us); both are declared at the default cost of one operator,
-- so in a 10,000-chunk campaign the planner preferred sequential scans that tested thousands of rows
-- (40-80 ms) over the trigram and full-text GIN indexes, which hand it the few matching chunks. Their real
-- cost steers the planner to the indexes when few chunks match, and still to a scan when most do.
-- Only an owner of the functions may change them (a managed database may refuse): then nothing changes
-- and retrieval in a big campaign is only slower there. A dump and restore does not carry these costs.
DO $$
BEGIN
    ALTER FUNCTION word_similarity_op(text, text) COST 1000;
    ALTER FUNCTION word_similarity_commutator_op(text, text) COST 1000;
EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
    RAISE NOTICE 'word_similarity cost left unchanged: %', SQLERRM;
END $$;
DO $$
BEGIN
    ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 100;
EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
    RAISE NOTICE 'tsvector @@ tsquery cost left unchanged: %', SQLERRM;
END $$;

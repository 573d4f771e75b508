-- 045: retrieval inside one big campaign. The trigram ranking (persistence/retrieval.py) filters a
-- campaign's chunks with `word <% names`; pg_trgm declares word_similarity at the default cost of one
-- operator, so in a 10,000-chunk campaign the planner preferred a sequential scan that ran
-- word_similarity on thousands of rows (~20 us each: 40-80 ms) over the names trigram index, which
-- hands it a few hundred candidates. Its real cost steers the planner to the index.
-- Only an owner of the functions may change them (a managed database may refuse): then nothing
-- changes and retrieval is only slower there.
DO $$
BEGIN
    ALTER FUNCTION word_similarity_op(text, text) COST 1000;
    ALTER FUNCTION word_similarity_commutator_op(text, text) COST 1000;
EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
    RAISE NOTICE 'word_similarity cost left unchanged: %', SQLERRM;
END $$;

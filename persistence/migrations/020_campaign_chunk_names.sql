-- Short "names" text per campaign chunk (its heading path plus the names in its tags) for typo-tolerant
-- trigram matching: word_similarity over whole chunk texts is far too slow at 10,000 chunks.
ALTER TABLE campaign_chunks ADD COLUMN IF NOT EXISTS names text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS campaign_chunks_names_trgm_idx ON campaign_chunks USING gin (names gin_trgm_ops);

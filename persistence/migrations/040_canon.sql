-- 040: the canon ledger. Established facts of a campaign as rows (subject, predicate, object):
-- "Goblin 1" status dead, "Captain Morrow" is_at "the Salt Docks", "Captain Morrow" promised "50 gp
-- for the goblin ears". One row per (subject, predicate), the subject compared case-insensitively: a
-- newer fact replaces the older one. `source` says where a fact came from ("turn:12", "chunk:40").
CREATE TABLE IF NOT EXISTS canon_facts (
    id           bigserial PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subject      text NOT NULL CHECK (length(subject) BETWEEN 1 AND 120),
    predicate    text NOT NULL CHECK (length(predicate) BETWEEN 1 AND 40),
    object       text NOT NULL CHECK (length(object) <= 300),
    source       text NOT NULL DEFAULT '' CHECK (length(source) <= 120),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS canon_facts_key_idx ON canon_facts (campaign_id, lower(subject), predicate);

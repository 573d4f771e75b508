-- 041: history for the DM's context. Private lines (a whisper to the DM and its answer) carry the
-- players who may see them; rolling summaries of older turns keep long campaigns within the window.

-- NULL: everyone at the table may see the message; else only these player ids (a whisper's author)
ALTER TABLE message_history ADD COLUMN IF NOT EXISTS visible_to bigint[];
CREATE INDEX IF NOT EXISTS message_history_private_idx ON message_history (campaign_id, created_at)
    WHERE visible_to IS NOT NULL;

-- one rolling summary every N turns: the story up to (and including) `through_turn_id`
CREATE TABLE IF NOT EXISTS turn_summaries (
    id               bigserial PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    through_turn_id  bigint NOT NULL REFERENCES dm_turns(id) ON DELETE CASCADE,
    turns            integer NOT NULL CHECK (turns >= 0),      -- how many turns the summary covers in all
    text             text NOT NULL CHECK (length(text) BETWEEN 1 AND 8000),
    visible_to       bigint[],                                 -- NULL: public (the only kind written today)
    backend          text NOT NULL DEFAULT '',
    model            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS turn_summaries_public_idx ON turn_summaries (campaign_id, through_turn_id)
    WHERE visible_to IS NULL;
CREATE INDEX IF NOT EXISTS turn_summaries_campaign_idx ON turn_summaries (campaign_id, through_turn_id DESC);
CREATE INDEX IF NOT EXISTS turn_summaries_turn_idx ON turn_summaries (through_turn_id);  -- dm_turns' cascade

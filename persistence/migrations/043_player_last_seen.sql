-- 043: when each player last spoke in a channel, so a restarted session still knows who has been away (the
-- "previously on" recap for a player back after a long gap). Kept by a trigger on the message log, in the same
-- statement that records a player's words: no extra round trip per message.
CREATE TABLE IF NOT EXISTS player_last_seen (
    channel_id  bigint NOT NULL,
    author_id   bigint NOT NULL,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (channel_id, author_id)
);

CREATE OR REPLACE FUNCTION note_player_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO player_last_seen (channel_id, author_id, seen_at)
    VALUES (NEW.channel_id, NEW.author_id, NEW.created_at)
    ON CONFLICT (channel_id, author_id) DO UPDATE
        SET seen_at = GREATEST(player_last_seen.seen_at, EXCLUDED.seen_at);
    RETURN NULL;
END
$$;

-- a player's plain talk (what the session's recap clock counts), not the DM's lines nor commands
DROP TRIGGER IF EXISTS message_history_player_seen ON message_history;
CREATE TRIGGER message_history_player_seen AFTER INSERT ON message_history
    FOR EACH ROW WHEN (NOT NEW.from_dm AND NOT NEW.is_command) EXECUTE FUNCTION note_player_seen();

-- the players the log already holds
INSERT INTO player_last_seen (channel_id, author_id, seen_at)
SELECT channel_id, author_id, max(created_at) FROM message_history
WHERE NOT from_dm AND NOT is_command
GROUP BY channel_id, author_id
ON CONFLICT (channel_id, author_id) DO UPDATE SET seen_at = GREATEST(player_last_seen.seen_at, EXCLUDED.seen_at);

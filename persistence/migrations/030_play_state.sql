-- 030: play state that survives anything. A campaign's whole GameState is loaded from and saved to
-- these tables; one version number per campaign refuses a stale writer; commands keep their result
-- so a redelivered message replays it instead of running again.
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS state_version bigint NOT NULL DEFAULT 0;

-- characters are keyed by their game id ("pc-<player>"); a player may retire one and roll another
ALTER TABLE characters ADD COLUMN IF NOT EXISTS key text;
ALTER TABLE characters DROP CONSTRAINT IF EXISTS characters_campaign_id_player_id_key;
CREATE UNIQUE INDEX IF NOT EXISTS characters_key_idx ON characters (campaign_id, key);
CREATE INDEX IF NOT EXISTS characters_campaign_player_idx ON characters (campaign_id, player_id);

-- monsters and NPCs in play, in a fight or not: a wounded ogre that flees stays wounded
CREATE TABLE IF NOT EXISTS creatures (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    hit_points      integer NOT NULL CHECK (hit_points >= 0),
    max_hit_points  integer NOT NULL CHECK (max_hit_points >= 1),
    armor_class     smallint NOT NULL CHECK (armor_class BETWEEN 1 AND 40),
    dead            boolean NOT NULL DEFAULT false,
    data            jsonb NOT NULL,                  -- the full game Creature dict
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, key)
);
CREATE INDEX IF NOT EXISTS creatures_name_idx ON creatures (campaign_id, lower(name));

-- the combat row's JSONB and turn index agree with game.CombatState
ALTER TABLE combatants ADD COLUMN IF NOT EXISTS key text;
ALTER TABLE combatants ADD COLUMN IF NOT EXISTS creature_id bigint REFERENCES creatures(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS combatants_creature_idx ON combatants (creature_id);

-- NPCs the party has met, places it knows
ALTER TABLE npcs ADD COLUMN IF NOT EXISTS met boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS npcs_met_idx ON npcs (campaign_id) WHERE met;
ALTER TABLE world_state ADD COLUMN IF NOT EXISTS known_locations jsonb NOT NULL DEFAULT '[]'::jsonb;

-- a command's typed result, replayed when Discord delivers the same message again
ALTER TABLE message_history ADD COLUMN IF NOT EXISTS result jsonb;

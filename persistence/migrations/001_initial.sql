-- 001: the whole schema. Later migrations add to it; this file never changes once applied.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Campaigns and their source documents -------------------------------------------------
CREATE TABLE campaigns (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    channel_id    bigint UNIQUE,                 -- the Discord channel that plays it, if bound
    description   text NOT NULL DEFAULT '',
    settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaign_documents (
    id            bigserial PRIMARY KEY,
    campaign_id   bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    source_file   text NOT NULL,
    sha256        text NOT NULL,
    page_count    integer NOT NULL CHECK (page_count >= 0),
    metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, source_file)
);

CREATE TABLE campaign_chunks (
    id            bigserial PRIMARY KEY,
    campaign_id   bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    document_id   bigint REFERENCES campaign_documents(id) ON DELETE CASCADE,
    source_file   text NOT NULL,
    chunk_index   integer NOT NULL CHECK (chunk_index >= 0),
    page          integer NOT NULL CHECK (page >= 1),
    page_end      integer CHECK (page_end IS NULL OR page_end >= page),
    heading_path  text[] NOT NULL DEFAULT '{}',
    heading       text NOT NULL DEFAULT '',      -- heading_path joined, for FTS and display
    kind          text NOT NULL DEFAULT 'text',  -- location, npc, encounter, table, read_aloud, ...
    text          text NOT NULL CHECK (length(text) > 0),
    tags          text[] NOT NULL DEFAULT '{}',
    tsv           tsvector GENERATED ALWAYS AS (
                      setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', text), 'B')
                  ) STORED,
    embedding     vector(384),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, source_file, chunk_index)
);
CREATE INDEX campaign_chunks_document_idx ON campaign_chunks (document_id);
CREATE INDEX campaign_chunks_tsv_idx ON campaign_chunks USING gin (tsv);
CREATE INDEX campaign_chunks_text_trgm_idx ON campaign_chunks USING gin (text gin_trgm_ops);
CREATE INDEX campaign_chunks_heading_trgm_idx ON campaign_chunks USING gin (heading gin_trgm_ops);
CREATE INDEX campaign_chunks_tags_idx ON campaign_chunks USING gin (tags);
CREATE INDEX campaign_chunks_embedding_idx ON campaign_chunks USING hnsw (embedding vector_cosine_ops);

-- The world extracted from the campaign text -------------------------------------------
CREATE TABLE locations (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    key             text,                          -- the map key, e.g. "A3"
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    parent_id       bigint REFERENCES locations(id) ON DELETE SET NULL,
    source_chunk_id bigint REFERENCES campaign_chunks(id) ON DELETE SET NULL,
    data            jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (campaign_id, name)
);
CREATE INDEX locations_key_idx ON locations (campaign_id, key);
CREATE INDEX locations_parent_idx ON locations (parent_id);
CREATE INDEX locations_chunk_idx ON locations (source_chunk_id);
CREATE INDEX locations_name_trgm_idx ON locations USING gin (name gin_trgm_ops);

CREATE TABLE location_connections (
    from_location_id bigint NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    to_location_id   bigint NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    description      text NOT NULL DEFAULT '',
    PRIMARY KEY (from_location_id, to_location_id),
    CHECK (from_location_id <> to_location_id)
);
CREATE INDEX location_connections_to_idx ON location_connections (to_location_id);

CREATE TABLE npcs (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    name            text NOT NULL,
    role            text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    personality     text NOT NULL DEFAULT '',
    secrets         text NOT NULL DEFAULT '',
    location_id     bigint REFERENCES locations(id) ON DELETE SET NULL,
    stat_block      text,                          -- an SRD monster name or a stat block heading
    attitude        text NOT NULL DEFAULT 'indifferent',
    alive           boolean NOT NULL DEFAULT true,
    source_chunk_id bigint REFERENCES campaign_chunks(id) ON DELETE SET NULL,
    data            jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (campaign_id, name)
);
CREATE INDEX npcs_location_idx ON npcs (location_id);
CREATE INDEX npcs_chunk_idx ON npcs (source_chunk_id);
CREATE INDEX npcs_name_trgm_idx ON npcs USING gin (name gin_trgm_ops);

CREATE TABLE plot_threads (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    title           text NOT NULL,
    summary         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'active', 'resolved', 'abandoned')),
    progress        integer NOT NULL DEFAULT 0 CHECK (progress >= 0),
    source_chunk_id bigint REFERENCES campaign_chunks(id) ON DELETE SET NULL,
    data            jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, title)
);
CREATE INDEX plot_threads_status_idx ON plot_threads (campaign_id, status);
CREATE INDEX plot_threads_chunk_idx ON plot_threads (source_chunk_id);

CREATE TABLE story_hooks (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    plot_thread_id  bigint REFERENCES plot_threads(id) ON DELETE SET NULL,
    text            text NOT NULL,
    used            boolean NOT NULL DEFAULT false,
    source_chunk_id bigint REFERENCES campaign_chunks(id) ON DELETE SET NULL
);
CREATE INDEX story_hooks_campaign_idx ON story_hooks (campaign_id, used);
CREATE INDEX story_hooks_thread_idx ON story_hooks (plot_thread_id);
CREATE INDEX story_hooks_chunk_idx ON story_hooks (source_chunk_id);

-- Play state ---------------------------------------------------------------------------
CREATE TABLE characters (
    id               bigserial PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    player_id        bigint NOT NULL,              -- the Discord user id (console: a synthetic id)
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    race             text NOT NULL,
    subrace          text,
    class_name       text NOT NULL,
    subclass         text,
    level            smallint NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 20),
    xp               integer NOT NULL DEFAULT 0 CHECK (xp >= 0),
    strength         smallint NOT NULL CHECK (strength BETWEEN 1 AND 30),
    dexterity        smallint NOT NULL CHECK (dexterity BETWEEN 1 AND 30),
    constitution     smallint NOT NULL CHECK (constitution BETWEEN 1 AND 30),
    intelligence     smallint NOT NULL CHECK (intelligence BETWEEN 1 AND 30),
    wisdom           smallint NOT NULL CHECK (wisdom BETWEEN 1 AND 30),
    charisma         smallint NOT NULL CHECK (charisma BETWEEN 1 AND 30),
    hit_points       integer NOT NULL CHECK (hit_points >= 0),
    max_hit_points   integer NOT NULL CHECK (max_hit_points >= 1),
    temp_hit_points  integer NOT NULL DEFAULT 0 CHECK (temp_hit_points >= 0),
    armor_class      smallint NOT NULL CHECK (armor_class BETWEEN 1 AND 40),
    exhaustion       smallint NOT NULL DEFAULT 0 CHECK (exhaustion BETWEEN 0 AND 6),
    proficiencies    jsonb NOT NULL DEFAULT '{}'::jsonb,
    inventory        jsonb NOT NULL DEFAULT '[]'::jsonb,
    currency         jsonb NOT NULL DEFAULT '{}'::jsonb,
    spell_slots      jsonb NOT NULL DEFAULT '{}'::jsonb,
    conditions       jsonb NOT NULL DEFAULT '[]'::jsonb,
    death_saves      jsonb NOT NULL DEFAULT '{"successes": 0, "failures": 0}'::jsonb,
    sheet            jsonb NOT NULL DEFAULT '{}'::jsonb,  -- the full game.Character dict, with schema_version
    version          integer NOT NULL DEFAULT 1,          -- optimistic concurrency
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (hit_points <= max_hit_points),
    UNIQUE (campaign_id, player_id)
);
CREATE INDEX characters_player_idx ON characters (player_id);
CREATE INDEX characters_name_idx ON characters (campaign_id, lower(name));

CREATE TABLE combats (
    id             bigserial PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    active         boolean NOT NULL DEFAULT true,
    round          integer NOT NULL DEFAULT 1 CHECK (round >= 1),
    current_index  integer NOT NULL DEFAULT 0 CHECK (current_index >= 0),
    state          jsonb NOT NULL DEFAULT '{}'::jsonb,   -- the full game Combat dict
    started_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz
);
CREATE UNIQUE INDEX combats_one_active_idx ON combats (campaign_id) WHERE active;
CREATE INDEX combats_campaign_idx ON combats (campaign_id, started_at);

CREATE TABLE combatants (
    id              bigserial PRIMARY KEY,
    combat_id       bigint NOT NULL REFERENCES combats(id) ON DELETE CASCADE,
    character_id    bigint REFERENCES characters(id) ON DELETE SET NULL,
    npc_id          bigint REFERENCES npcs(id) ON DELETE SET NULL,
    monster_name    text,                              -- SRD monster, for stat blocks
    name            text NOT NULL,
    initiative      integer NOT NULL,
    dexterity       smallint NOT NULL DEFAULT 10,
    turn_order      integer NOT NULL CHECK (turn_order >= 0),
    is_player       boolean NOT NULL DEFAULT false,
    hit_points      integer NOT NULL CHECK (hit_points >= 0),
    max_hit_points  integer NOT NULL CHECK (max_hit_points >= 1),
    armor_class     smallint NOT NULL,
    conditions      jsonb NOT NULL DEFAULT '[]'::jsonb,
    data            jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (combat_id, name),
    UNIQUE (combat_id, turn_order)
);
CREATE INDEX combatants_character_idx ON combatants (character_id);
CREATE INDEX combatants_npc_idx ON combatants (npc_id);

CREATE TABLE world_state (
    campaign_id          bigint PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    current_location_id  bigint REFERENCES locations(id) ON DELETE SET NULL,
    location_name        text NOT NULL DEFAULT '',
    game_minutes         bigint NOT NULL DEFAULT 480 CHECK (game_minutes >= 0),  -- minutes since day 1, 00:00
    weather              text NOT NULL DEFAULT 'clear',
    active_events        jsonb NOT NULL DEFAULT '[]'::jsonb,
    data                 jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX world_state_location_idx ON world_state (current_location_id);

CREATE TABLE events (
    id             bigserial PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'triggered', 'resolved')),
    triggered_by   bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    triggered_at   timestamptz,
    UNIQUE (campaign_id, name)
);
CREATE INDEX events_status_idx ON events (campaign_id, status);

-- The conversation and the DM's turns (the fine-tuning log) ----------------------------
CREATE TABLE dm_turns (
    id                 bigserial PRIMARY KEY,
    campaign_id        bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    channel_id         bigint NOT NULL,
    prompt             jsonb NOT NULL,                 -- the messages sent to the model
    context            jsonb NOT NULL DEFAULT '{}'::jsonb,  -- retrieved chunks, rules, scene
    reply              jsonb,                          -- the parsed JSON reply
    reply_text         text NOT NULL DEFAULT '',       -- what the players saw
    effects            jsonb NOT NULL DEFAULT '[]'::jsonb,  -- accepted / refused effects
    backend            text NOT NULL,
    model              text NOT NULL DEFAULT '',
    prompt_tokens      integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens  integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    latency_ms         integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    ttft_ms            integer CHECK (ttft_ms IS NULL OR ttft_ms >= 0),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dm_turns_campaign_idx ON dm_turns (campaign_id, created_at);
CREATE INDEX dm_turns_backend_idx ON dm_turns (backend, created_at);

CREATE TABLE message_history (
    id                  bigserial PRIMARY KEY,
    campaign_id         bigint REFERENCES campaigns(id) ON DELETE CASCADE,
    channel_id          bigint NOT NULL,
    discord_message_id  bigint NOT NULL UNIQUE,        -- exactly-once: a retry hits this index
    author_id           bigint NOT NULL,
    author_name         text NOT NULL DEFAULT '',
    content             text NOT NULL,
    is_command          boolean NOT NULL DEFAULT false,
    from_dm             boolean NOT NULL DEFAULT false,
    processed           boolean NOT NULL DEFAULT false,
    turn_id             bigint REFERENCES dm_turns(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    processed_at        timestamptz
);
CREATE INDEX message_history_pending_idx ON message_history (channel_id, created_at) WHERE NOT processed;
CREATE INDEX message_history_channel_idx ON message_history (channel_id, created_at);
CREATE INDEX message_history_campaign_idx ON message_history (campaign_id, created_at);
CREATE INDEX message_history_turn_idx ON message_history (turn_id);

-- SRD 5.1 rules, parsed from the SRD PDF ---------------------------------------------
CREATE TABLE srd_sources (
    id            bigserial PRIMARY KEY,
    source_file   text NOT NULL,
    sha256        text NOT NULL UNIQUE,
    counts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    imported_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE spells (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    level           smallint NOT NULL CHECK (level BETWEEN 0 AND 9),
    school          text NOT NULL,
    casting_time    text NOT NULL,
    range           text NOT NULL,
    components      text[] NOT NULL DEFAULT '{}',
    material        text,
    duration        text NOT NULL,
    concentration   boolean NOT NULL DEFAULT false,
    ritual          boolean NOT NULL DEFAULT false,
    description     text NOT NULL,
    higher_levels   text,
    classes         text[] NOT NULL DEFAULT '{}',
    page            integer,
    data            jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX spells_lower_name_idx ON spells (lower(name));
CREATE INDEX spells_name_trgm_idx ON spells USING gin (name gin_trgm_ops);
CREATE INDEX spells_level_idx ON spells (level);
CREATE INDEX spells_classes_idx ON spells USING gin (classes);

CREATE TABLE monsters (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL UNIQUE,
    size                text NOT NULL,
    type                text NOT NULL,
    subtype             text,
    alignment           text NOT NULL,
    armor_class         smallint NOT NULL,
    armor_class_source  text,
    hit_points          integer NOT NULL,
    hit_dice            text NOT NULL,
    speed               text NOT NULL,
    str                 smallint NOT NULL,
    dex                 smallint NOT NULL,
    con                 smallint NOT NULL,
    int                 smallint NOT NULL,
    wis                 smallint NOT NULL,
    cha                 smallint NOT NULL,
    challenge_rating    text NOT NULL,                 -- as the SRD writes it: "1/4"
    cr_value            numeric NOT NULL,              -- 0.25, for sorting and encounter building
    xp                  integer NOT NULL,
    page                integer,
    data                jsonb NOT NULL DEFAULT '{}'::jsonb  -- saves, skills, senses, traits, actions, ...
);
CREATE INDEX monsters_lower_name_idx ON monsters (lower(name));
CREATE INDEX monsters_name_trgm_idx ON monsters USING gin (name gin_trgm_ops);
CREATE INDEX monsters_cr_idx ON monsters (cr_value);
CREATE INDEX monsters_type_idx ON monsters (type);

CREATE TABLE magic_items (
    id                      bigserial PRIMARY KEY,
    name                    text NOT NULL UNIQUE,
    type                    text NOT NULL,
    rarity                  text NOT NULL,
    attunement              boolean NOT NULL DEFAULT false,
    attunement_requirement  text,
    description             text NOT NULL,
    page                    integer,
    data                    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX magic_items_lower_name_idx ON magic_items (lower(name));
CREATE INDEX magic_items_name_trgm_idx ON magic_items USING gin (name gin_trgm_ops);
CREATE INDEX magic_items_rarity_idx ON magic_items (rarity);

CREATE TABLE equipment (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    category    text NOT NULL,                 -- weapon, armor, adventuring gear, tool, mount, ...
    cost        text,
    cost_cp     integer CHECK (cost_cp IS NULL OR cost_cp >= 0),
    weight      numeric CHECK (weight IS NULL OR weight >= 0),
    page        integer,
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (category, name)
);
CREATE INDEX equipment_lower_name_idx ON equipment (lower(name));
CREATE INDEX equipment_name_trgm_idx ON equipment USING gin (name gin_trgm_ops);

CREATE TABLE conditions (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    description  text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE rules_sections (
    id          bigserial PRIMARY KEY,
    heading     text NOT NULL,
    path        text[] NOT NULL,
    text        text NOT NULL,
    page        integer,
    tsv         tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', text), 'B')
                ) STORED,
    UNIQUE (path)
);
CREATE INDEX rules_sections_lower_heading_idx ON rules_sections (lower(heading));
CREATE INDEX rules_sections_heading_trgm_idx ON rules_sections USING gin (heading gin_trgm_ops);
CREATE INDEX rules_sections_tsv_idx ON rules_sections USING gin (tsv);

"""The foundation schema on a real embedded PostgreSQL: tables, foreign keys, uniqueness, migrations."""

from __future__ import annotations

import psycopg
import pytest

from persistence import migrator
from persistence.database import Database
from persistence.errors import MigrationError

EXPECTED_TABLES = {
    "campaigns", "campaign_documents", "campaign_chunks", "npcs", "locations", "location_connections",
    "characters", "combats", "combatants", "world_state", "plot_threads", "story_hooks", "events",
    "message_history", "dm_turns", "spells", "monsters", "magic_items", "equipment", "conditions",
    "rules_sections", "srd_sources", "schema_migrations",
}


async def test_every_table_exists(db: Database) -> None:
    rows = await db.fetch_all("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert EXPECTED_TABLES <= {row["tablename"] for row in rows}


async def test_extensions_for_retrieval_are_installed(db: Database) -> None:
    rows = await db.fetch_all("SELECT extname FROM pg_extension")
    assert {"vector", "pg_trgm"} <= {row["extname"] for row in rows}


async def test_every_foreign_key_column_is_indexed(db: Database) -> None:
    # A lookup path per FK: each FK column is the first column of some index.
    rows = await db.fetch_all(
        """
        SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND NOT EXISTS (
            SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
        )
        """
    )
    assert rows == []


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("INSERT INTO campaign_chunks (campaign_id, source_file, chunk_index, page, text) VALUES (%s, 'a.pdf', 0, 1, 'x')",
         (999_999,)),
        ("INSERT INTO npcs (campaign_id, name) VALUES (%s, 'Mira')", (999_999,)),
        ("INSERT INTO characters (campaign_id, player_id, name, race, class_name, strength, dexterity, constitution,"
         " intelligence, wisdom, charisma, hit_points, max_hit_points, armor_class)"
         " VALUES (%s, 1, 'Ana', 'Elf', 'Wizard', 8, 14, 12, 16, 12, 10, 6, 6, 12)", (999_999,)),
        ("INSERT INTO combatants (combat_id, name, initiative, turn_order, hit_points, max_hit_points, armor_class)"
         " VALUES (%s, 'Goblin', 12, 0, 7, 7, 15)", (999_999,)),
        ("INSERT INTO message_history (channel_id, discord_message_id, author_id, content, turn_id)"
         " VALUES (1, 42, 7, 'hi', %s)", (999_999,)),
    ],
    ids=["chunk", "npc", "character", "combatant", "message-turn"],
)
async def test_orphan_insert_is_refused(clean_db: Database, sql: str, params: tuple) -> None:
    async with clean_db.connection() as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            await conn.execute(sql, params)


async def test_deleting_a_campaign_cascades_to_its_chunks_and_npcs(clean_db: Database) -> None:
    cid = await clean_db.fetch_value("INSERT INTO campaigns (name) VALUES ('Lantern') RETURNING id")
    await clean_db.execute(
        "INSERT INTO campaign_chunks (campaign_id, source_file, chunk_index, page, text) VALUES (%s, 'a.pdf', 0, 1, 'x')",
        (cid,),
    )
    await clean_db.execute("INSERT INTO npcs (campaign_id, name) VALUES (%s, 'Mira')", (cid,))
    await clean_db.execute("DELETE FROM campaigns WHERE id = %s", (cid,))
    assert await clean_db.fetch_value("SELECT count(*) FROM campaign_chunks") == 0
    assert await clean_db.fetch_value("SELECT count(*) FROM npcs") == 0


async def test_discord_message_id_is_unique(clean_db: Database) -> None:
    insert = "INSERT INTO message_history (channel_id, discord_message_id, author_id, content) VALUES (1, %s, 7, %s)"
    await clean_db.execute(insert, (1234567890123, "I open the door"))
    async with clean_db.connection() as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            await conn.execute(insert, (1234567890123, "I open the door"))
    assert await clean_db.fetch_value("SELECT count(*) FROM message_history") == 1


async def test_one_character_per_key_per_campaign(clean_db: Database) -> None:
    """Characters are keyed by their game id; a player may retire one and roll another (two rows, two keys)."""
    cid = await clean_db.fetch_value("INSERT INTO campaigns (name) VALUES ('Lantern') RETURNING id")
    insert = (
        "INSERT INTO characters (campaign_id, key, player_id, name, race, class_name, strength, dexterity,"
        " constitution, intelligence, wisdom, charisma, hit_points, max_hit_points, armor_class)"
        " VALUES (%s, %s, 7, %s, 'Elf', 'Wizard', 8, 14, 12, 16, 12, 10, 6, 6, 12)"
    )
    await clean_db.execute(insert, (cid, "pc-7", "Ana"))
    await clean_db.execute(insert, (cid, "pc-7-2", "Bea"))  # the same player's second character
    async with clean_db.connection() as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            await conn.execute(insert, (cid, "pc-7", "Cid"))


async def test_hit_points_cannot_exceed_maximum(clean_db: Database) -> None:
    cid = await clean_db.fetch_value("INSERT INTO campaigns (name) VALUES ('Lantern') RETURNING id")
    async with clean_db.connection() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            await conn.execute(
                "INSERT INTO characters (campaign_id, player_id, name, race, class_name, strength, dexterity,"
                " constitution, intelligence, wisdom, charisma, hit_points, max_hit_points, armor_class)"
                " VALUES (%s, 7, 'Ana', 'Elf', 'Wizard', 8, 14, 12, 16, 12, 10, 48769, 6, 12)",
                (cid,),
            )


async def test_only_one_active_combat_per_campaign(clean_db: Database) -> None:
    cid = await clean_db.fetch_value("INSERT INTO campaigns (name) VALUES ('Lantern') RETURNING id")
    await clean_db.execute("INSERT INTO combats (campaign_id) VALUES (%s)", (cid,))
    async with clean_db.connection() as conn:
        with pytest.raises(psycopg.errors.UniqueViolation):
            await conn.execute("INSERT INTO combats (campaign_id) VALUES (%s)", (cid,))


async def test_upgrade_twice_is_a_no_op(db: Database) -> None:
    assert await migrator.upgrade(db) == []
    statuses = await migrator.status(db)
    assert statuses and all(s.applied for s in statuses)
    assert statuses[0].version == 1


@pytest.fixture
async def scratch_db(db: Database, embedded_pg: str):
    """A fresh, empty database on the session's server, dropped afterwards.

    CREATE/DROP DATABASE force a checkpoint of the whole cluster; after a session's imports that can take
    longer than the pool's 10 s statement timeout on a busy machine, so they get a connection of their own."""
    admin = Database(embedded_pg, max_size=1, timeout_s=120)
    await admin.open()
    try:
        await admin.execute("DROP DATABASE IF EXISTS scratch WITH (FORCE)")
        await admin.execute("CREATE DATABASE scratch")
        scratch = Database(embedded_pg.replace("/lorekeeper?", "/scratch?"), max_size=2)
        await scratch.open()
        yield scratch
        await scratch.close()
        await admin.execute("DROP DATABASE IF EXISTS scratch WITH (FORCE)")
    finally:
        await admin.close()


async def test_migrations_apply_in_order_and_record_each(scratch_db: Database, tmp_path) -> None:
    (tmp_path / "001_first.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);")
    (tmp_path / "002_second.sql").write_text("CREATE TABLE b (a_id int REFERENCES a(id));")
    applied = await migrator.upgrade(scratch_db, tmp_path)
    assert [m.version for m in applied] == [1, 2]
    assert await migrator.upgrade(scratch_db, tmp_path) == []
    rows = await scratch_db.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    assert rows == [{"version": 1, "name": "first"}, {"version": 2, "name": "second"}]


async def test_a_failing_migration_leaves_nothing_behind(scratch_db: Database, tmp_path) -> None:
    (tmp_path / "001_good.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE b (id int); SELECT * FROM no_such_table;")
    with pytest.raises(MigrationError, match="002_bad.sql"):
        await migrator.upgrade(scratch_db, tmp_path)
    assert await scratch_db.fetch_value("SELECT to_regclass('b')::text") is None
    assert await scratch_db.fetch_value("SELECT max(version) FROM schema_migrations") == 1


async def test_an_edited_applied_migration_is_refused(scratch_db: Database, tmp_path) -> None:
    path = tmp_path / "001_first.sql"
    path.write_text("CREATE TABLE a (id int PRIMARY KEY);")
    await migrator.upgrade(scratch_db, tmp_path)
    path.write_text("CREATE TABLE a (id bigint PRIMARY KEY);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrator.upgrade(scratch_db, tmp_path)


def test_badly_named_migration_file_is_refused(tmp_path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNN_name.sql"):
        migrator.discover(tmp_path)

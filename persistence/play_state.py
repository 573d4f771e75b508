"""A campaign's play state ↔ the tables: load the whole state, save one turn's changes atomically.

`persistence/` cannot import `game/`, so the state travels as the JSON-ready dict of
`game.effects.GameState.to_dict()`; `dm/` turns it back into a `GameState`. `save` compares the
state before and after a turn and writes only what changed (characters, creatures, the fight,
the world, NPCs met, plot threads, events, hooks) in the same transaction that stores the turn
or the command's result and marks its messages processed. One version number per campaign
(`campaigns.state_version`) refuses a stale writer. Killed between any two statements, a turn is
either wholly there or not at all.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from persistence.canon import write_facts
from persistence.database import Database
from persistence.errors import StaleState, UnknownCampaign
from persistence.faults import fault_point
from persistence.interfaces import CampaignRef, LoadedState, TurnRecord
from persistence.messages import LOCK_UNANSWERED, check_unanswered, insert_turn, mark_processed

__all__ = ["CampaignRef", "LoadedState", "PlayStateRepository", "console_channel_id"]

log = logging.getLogger(__name__)

_ABILITIES = ("strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma")


def console_channel_id(campaign_id: int) -> int:
    """The console's stable synthetic channel for a campaign (negative: never a Discord snowflake)."""
    return -int(campaign_id)


def _campaign(row: Mapping[str, Any]) -> CampaignRef:
    return CampaignRef(id=row["id"], name=row["name"], channel_id=row["channel_id"], description=row["description"])


class PlayStateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- campaigns and channels ---------------------------------------------------------------

    async def find_campaign(self, name: str) -> CampaignRef | None:
        """A campaign by name, case-insensitively (an exact spelling wins)."""
        row = await self._db.fetch_one(
            "SELECT id, name, channel_id, description FROM campaigns WHERE lower(name) = lower(%s) "
            "ORDER BY (name = %s) DESC LIMIT 1",
            (name.strip(), name.strip()),
        )
        return None if row is None else _campaign(row)

    async def campaign_names(self) -> list[str]:
        rows = await self._db.fetch_all("SELECT name FROM campaigns ORDER BY name")
        return [r["name"] for r in rows]

    async def campaign_for_channel(self, channel_id: int) -> CampaignRef | None:
        row = await self._db.fetch_one(
            "SELECT id, name, channel_id, description FROM campaigns WHERE channel_id = %s", (channel_id,)
        )
        return None if row is None else _campaign(row)

    async def bind_channel(self, campaign_id: int, channel_id: int) -> CampaignRef:
        """Play `campaign_id` in `channel_id` (a channel plays one campaign; another one there is unbound)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE campaigns SET channel_id = NULL WHERE channel_id = %s AND id <> %s", (channel_id, campaign_id)
            )
            cur = await conn.execute(
                "UPDATE campaigns SET channel_id = %s, updated_at = now() WHERE id = %s "
                "RETURNING id, name, channel_id, description",
                (channel_id, campaign_id),
            )
            row = await cur.fetchone()
        if row is None:
            raise UnknownCampaign(str(campaign_id))
        return _campaign(row)

    async def create_campaign(self, name: str, description: str = "") -> CampaignRef:
        row = await self._db.fetch_one(
            "INSERT INTO campaigns (name, description) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, name, channel_id, description",
            (name, description),
        )
        assert row is not None
        return _campaign(row)

    # --- load ----------------------------------------------------------------------------------

    async def load(self, campaign_id: int) -> LoadedState:
        """The campaign's whole play state, read in one snapshot (REPEATABLE READ)."""
        async with self._db.connection() as conn:
            async with conn.transaction():
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                head = await _one(conn, "SELECT id, name, channel_id, description, state_version FROM campaigns "
                                        "WHERE id = %s", (campaign_id,))
                if head is None:
                    raise UnknownCampaign(str(campaign_id))
                characters = await _all(conn, "SELECT key, sheet FROM characters WHERE campaign_id = %s "
                                              "AND key IS NOT NULL ORDER BY id", (campaign_id,))
                creatures = await _all(conn, "SELECT key, data FROM creatures WHERE campaign_id = %s ORDER BY id",
                                       (campaign_id,))
                combat = await _one(conn, "SELECT state FROM combats WHERE campaign_id = %s AND active",
                                    (campaign_id,))
                world = await _one(conn, "SELECT location_name, known_locations, game_minutes, weather "
                                         "FROM world_state WHERE campaign_id = %s", (campaign_id,))
                npcs = await _all(conn, "SELECT name, description, alive FROM npcs WHERE campaign_id = %s AND met "
                                        "ORDER BY id", (campaign_id,))
                threads = await _all(conn, "SELECT title, status, data FROM plot_threads WHERE campaign_id = %s "
                                           "ORDER BY id", (campaign_id,))
                events = await _all(conn, "SELECT name, description, status FROM events WHERE campaign_id = %s "
                                          "ORDER BY id", (campaign_id,))
                hooks = await _all(conn, "SELECT h.text, h.used, t.title FROM story_hooks h "
                                         "LEFT JOIN plot_threads t ON t.id = h.plot_thread_id "
                                         "WHERE h.campaign_id = %s ORDER BY h.id", (campaign_id,))
        state: dict[str, Any] = {
            "characters": {r["key"]: {**r["sheet"], "id": r["key"]} for r in characters},
            "creatures": {r["key"]: r["data"] for r in creatures},
            "combat": combat["state"] if combat else None,
            "location": (world["location_name"] or None) if world else None,
            "known_locations": list(world["known_locations"]) if world else [],
            "game_minutes": world["game_minutes"] if world else 480,
            "weather": world["weather"] if world else "clear",
            "npcs": {r["name"].lower(): {"name": r["name"], "description": r["description"], "alive": r["alive"]}
                     for r in npcs},
            "plot_threads": {
                r["title"].lower(): {"name": r["title"], "progress": list(r["data"].get("notes", [])),
                                     "resolved": r["status"] == "resolved"}
                for r in threads
            },
            "events": {r["name"].lower(): {"name": r["name"], "description": r["description"], "status": r["status"]}
                       for r in events},
            "hooks": [{"text": r["text"], "used": r["used"], "thread": r["title"]} for r in hooks],
        }  # fmt: skip
        return LoadedState(_campaign(head), int(head["state_version"]), state)

    async def player_names(self, campaign_id: int) -> dict[int, str]:
        """Each player's latest display name, from the messages of this campaign."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT ON (author_id) author_id, author_name FROM message_history "
            "WHERE campaign_id = %s AND NOT from_dm AND author_name <> '' ORDER BY author_id, id DESC",
            (campaign_id,),
        )
        return {r["author_id"]: r["author_name"] for r in rows}

    async def version(self, campaign_id: int) -> int:
        value = await self._db.fetch_value("SELECT state_version FROM campaigns WHERE id = %s", (campaign_id,))
        if value is None:
            raise UnknownCampaign(str(campaign_id))
        return int(value)

    # --- save ------------------------------------------------------------------------------------

    async def save(
        self,
        campaign_id: int | None,
        *,
        expected_version: int,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        channel_id: int | None = None,
        message_ids: Sequence[int] = (),
        result: Mapping[str, Any] | None = None,
        turn: TurnRecord | None = None,
    ) -> int:
        """Write what changed between `before` and `after`, record the command result or the DM turn,
        and mark `message_ids` processed — all in one transaction. Returns the state version after it.

        `campaign_id` None: a command answered outside any campaign (only its message is marked).

        Raises:
            StaleState: someone saved this campaign since `expected_version` was read (nothing written).
            DuplicateMessage: a message was already answered (nothing written).
        """
        changed = dict(before) != dict(after)
        if campaign_id is None and (changed or turn is not None):
            raise ValueError("only a campaign's turn can change play state")
        ids = list(message_ids)
        # pipelined: statements go out without waiting for each answer; a result is read only where it decides
        # (a save that changes nothing: two round trips, the first answers and the commit)
        async with (self._db.timed_write("save_state"), self._db.connection() as conn, conn.pipeline(),
                    conn.transaction()):  # fmt: skip
            locked = await conn.execute(LOCK_UNANSWERED, (ids,)) if ids else None  # first: a message answered
            version = expected_version                                            # meanwhile refuses the save
            if changed:
                bumped = await conn.execute(
                    "UPDATE campaigns SET state_version = state_version + 1, updated_at = now() "
                    "WHERE id = %s AND state_version = %s RETURNING state_version",
                    (campaign_id, expected_version),
                )
                if locked is not None:
                    check_unanswered(ids, await locked.fetchall())
                    locked = None
                row = await bumped.fetchone()
                if row is None:
                    raise StaleState(campaign_id, expected_version)
                version = int(row["state_version"])
                await _StateWriter(conn, campaign_id).write(before, after)
            fault_point("after_state_write")
            turn_id = None
            if turn is not None and campaign_id is not None:
                turn_id = await insert_turn(conn, campaign_id=campaign_id, channel_id=channel_id or 0, turn=turn)
                if turn.canon:  # the facts the turn established, with the turn or not at all
                    await write_facts(conn, campaign_id, turn.canon, source=f"turn:{turn_id}")
            if locked is not None:
                check_unanswered(ids, await locked.fetchall())
            if ids:
                await mark_processed(conn, campaign_id, ids, turn_id, None if result is None else dict(result))
        log.debug("play state saved", extra={"campaign_id": campaign_id, "version": version, "changed": changed})
        return version


async def _one(conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def _all(conn: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


class _StateWriter:
    """Writes the difference between two state dicts, table by table."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], campaign_id: int) -> None:
        self._conn = conn
        self._cid = campaign_id

    async def write(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        await self._characters(before.get("characters", {}), after.get("characters", {}))
        await self._creatures(before.get("creatures", {}), after.get("creatures", {}))
        await self._combat(before, after)
        await self._world(before, after)
        await self._npcs(before.get("npcs", {}), after.get("npcs", {}))
        await self._threads(before.get("plot_threads", {}), after.get("plot_threads", {}))
        await self._events(before.get("events", {}), after.get("events", {}))
        await self._hooks(before.get("hooks", []), after.get("hooks", []))

    async def _characters(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key in before.keys() - after.keys():
            await self._conn.execute("DELETE FROM characters WHERE campaign_id = %s AND key = %s", (self._cid, key))
        for key, sheet in after.items():
            if before.get(key) == sheet:
                continue
            scores = sheet.get("ability_scores", {})
            items = sheet.get("inventory", {}).get("items", [])
            await self._conn.execute(
                f"""
                INSERT INTO characters (campaign_id, key, player_id, name, race, subrace, class_name, subclass, level,
                    xp, {", ".join(_ABILITIES)}, hit_points, max_hit_points, temp_hit_points, armor_class, exhaustion,
                    proficiencies, inventory, currency, spell_slots, conditions, death_saves, sheet)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {", ".join(["%s"] * 6)}, %s, %s, %s, %s, %s,
                    %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (campaign_id, key) DO UPDATE SET
                    player_id = EXCLUDED.player_id, name = EXCLUDED.name, race = EXCLUDED.race,
                    subrace = EXCLUDED.subrace, class_name = EXCLUDED.class_name, subclass = EXCLUDED.subclass,
                    level = EXCLUDED.level, xp = EXCLUDED.xp,
                    {", ".join(f"{a} = EXCLUDED.{a}" for a in _ABILITIES)},
                    hit_points = EXCLUDED.hit_points, max_hit_points = EXCLUDED.max_hit_points,
                    temp_hit_points = EXCLUDED.temp_hit_points, armor_class = EXCLUDED.armor_class,
                    exhaustion = EXCLUDED.exhaustion, proficiencies = EXCLUDED.proficiencies,
                    inventory = EXCLUDED.inventory, currency = EXCLUDED.currency,
                    spell_slots = EXCLUDED.spell_slots, conditions = EXCLUDED.conditions,
                    death_saves = EXCLUDED.death_saves, sheet = EXCLUDED.sheet,
                    version = characters.version + 1, updated_at = now()
                """,  # noqa: S608 - column names are constants; every value is a bound parameter
                (self._cid, key, sheet.get("player_id") or 0, sheet["name"], sheet["race"], sheet.get("subrace"),
                 sheet["class_name"], sheet.get("subclass"), sheet["level"], sheet["xp"],
                 *(scores.get(a, 10) for a in _ABILITIES),
                 sheet["hp"], sheet["max_hp"], sheet["temp_hp"], sheet["armor_class"], sheet["exhaustion"],
                 Jsonb(sheet.get("proficiencies", {})), Jsonb(items), Jsonb(sheet.get("currency", {})),
                 Jsonb(sheet.get("spell_slots", {})), Jsonb(sheet.get("conditions", [])),
                 Jsonb(sheet.get("death_saves", {})), Jsonb(dict(sheet))),
            )  # fmt: skip

    async def _creatures(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key in before.keys() - after.keys():
            await self._conn.execute("DELETE FROM creatures WHERE campaign_id = %s AND key = %s", (self._cid, key))
        for key, data in after.items():
            if before.get(key) == data:
                continue
            await self._conn.execute(
                """
                INSERT INTO creatures (campaign_id, key, name, hit_points, max_hit_points, armor_class, dead, data)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (campaign_id, key) DO UPDATE SET name = EXCLUDED.name, hit_points = EXCLUDED.hit_points,
                    max_hit_points = EXCLUDED.max_hit_points, armor_class = EXCLUDED.armor_class,
                    dead = EXCLUDED.dead, data = EXCLUDED.data, updated_at = now()
                """,
                (self._cid, key, data["name"], data["hp"], data["max_hp"], data.get("armor_class", 10),
                 data.get("dead", False), Jsonb(dict(data))),
            )  # fmt: skip

    async def _combat(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        old, new = before.get("combat"), after.get("combat")
        if new is None:
            if old is not None:
                await self._conn.execute(
                    "UPDATE combats SET active = false, ended_at = now() WHERE campaign_id = %s AND active", (self._cid,)
                )
            return
        ids = {c["id"] for c in new.get("combatants", [])}
        touched = any(
            before.get(kind, {}).get(i) != after.get(kind, {}).get(i) for kind in ("characters", "creatures") for i in ids
        )
        if old == new and not touched:
            return
        row = await _one(self._conn, "SELECT id FROM combats WHERE campaign_id = %s AND active", (self._cid,))
        if row is None or old is None:
            if row is not None:  # a fight the state does not know of: close it
                await self._conn.execute("UPDATE combats SET active = false, ended_at = now() WHERE id = %s",
                                         (row["id"],))
            row = await _one(
                self._conn,
                "INSERT INTO combats (campaign_id, round, current_index, state) VALUES (%s, %s, %s, %s) RETURNING id",
                (self._cid, new["round"], new["turn_index"], Jsonb(dict(new))),
            )
            assert row is not None
        else:
            await self._conn.execute(
                "UPDATE combats SET round = %s, current_index = %s, state = %s WHERE id = %s",
                (new["round"], new["turn_index"], Jsonb(dict(new)), row["id"]),
            )
        await self._combatants(row["id"], new, after)

    async def _combatants(self, combat_id: int, combat: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        await self._conn.execute("DELETE FROM combatants WHERE combat_id = %s", (combat_id,))
        keys = [c["id"] for c in combat.get("combatants", [])]
        row_ids: dict[str, dict[str, int]] = {}  # one read per table, not one per combatant
        for link in ("characters", "creatures"):
            sql = f"SELECT key, id FROM {link} WHERE campaign_id = %s AND key = ANY(%s)"  # noqa: S608
            rows = await _all(self._conn, sql, (self._cid, keys))
            row_ids[link] = {r["key"]: r["id"] for r in rows}
        used: set[str] = set()
        for order, c in enumerate(combat.get("combatants", [])):
            who = after.get("characters", {}).get(c["id"]) or after.get("creatures", {}).get(c["id"]) or {}
            name = c["name"]
            for n in itertools.count(1):  # the table keeps names unique per fight (and short enough)
                if name.lower() not in used:
                    break
                suffix = f" ({c['id']})" if n == 1 else f" ({n})"
                name = c["name"][: max(1, 100 - len(suffix))] + suffix
            used.add(name.lower())
            link = "characters" if c["id"] in after.get("characters", {}) else "creatures"
            ref = row_ids[link].get(c["id"])
            await self._conn.execute(
                """
                INSERT INTO combatants (combat_id, key, character_id, creature_id, name, initiative, dexterity,
                    turn_order, is_player, hit_points, max_hit_points, armor_class, conditions, data)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                (combat_id, c["id"], ref if link == "characters" else None,
                 ref if link == "creatures" else None, name, c["initiative"], c.get("dexterity", 10),
                 order, c.get("is_player", False), who.get("hp", 0), max(1, who.get("max_hp", 1)),
                 who.get("armor_class", 10), Jsonb(list(who.get("conditions", []))),
                 Jsonb({"tiebreak": list(c.get("tiebreak", []))})),
            )  # fmt: skip

    async def _world(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        keys = ("location", "known_locations", "game_minutes", "weather")
        if all(before.get(k) == after.get(k) for k in keys):
            return
        await self._conn.execute(
            """
            INSERT INTO world_state (campaign_id, location_name, known_locations, game_minutes, weather, updated_at)
            VALUES (%s, %s, %s, %s, %s, now())
            ON CONFLICT (campaign_id) DO UPDATE SET location_name = EXCLUDED.location_name,
                known_locations = EXCLUDED.known_locations, game_minutes = EXCLUDED.game_minutes,
                weather = EXCLUDED.weather, updated_at = now(),
                current_location_id = (SELECT id FROM locations WHERE campaign_id = EXCLUDED.campaign_id
                                       AND lower(name) = lower(EXCLUDED.location_name) LIMIT 1)
            """,
            (self._cid, after.get("location") or "", Jsonb(list(after.get("known_locations", []))),
             after.get("game_minutes", 480), after.get("weather", "clear")),
        )  # fmt: skip

    async def _npcs(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key in before.keys() - after.keys():
            await self._conn.execute(
                "UPDATE npcs SET met = false WHERE campaign_id = %s AND lower(name) = %s", (self._cid, key)
            )
        for key, npc in after.items():
            if before.get(key) == npc:
                continue
            matched = await _one(  # the campaign's own NPC ("Osric Tallow") whatever case the game gave it
                self._conn,
                """
                UPDATE npcs SET met = true, alive = %s,
                    description = CASE WHEN description = '' THEN %s ELSE description END
                WHERE id = (SELECT id FROM npcs WHERE campaign_id = %s AND lower(name) = lower(%s)
                            ORDER BY (name = %s) DESC, id LIMIT 1)
                RETURNING id
                """,
                (npc.get("alive", True), npc.get("description", ""), self._cid, npc["name"], npc["name"]),
            )
            if matched is not None:
                continue
            await self._conn.execute(
                """
                INSERT INTO npcs (campaign_id, name, description, alive, met) VALUES (%s, %s, %s, %s, true)
                ON CONFLICT (campaign_id, name) DO UPDATE SET met = true, alive = EXCLUDED.alive,
                    description = CASE WHEN npcs.description = '' THEN EXCLUDED.description ELSE npcs.description END
                """,
                (self._cid, npc["name"], npc.get("description", ""), npc.get("alive", True)),
            )

    async def _threads(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key, thread in after.items():
            if before.get(key) == thread:
                continue
            notes = list(thread.get("progress", []))
            status = "resolved" if thread.get("resolved") else ("active" if notes else "open")
            await self._conn.execute(
                """
                INSERT INTO plot_threads (campaign_id, title, status, progress, data) VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (campaign_id, title) DO UPDATE SET status = EXCLUDED.status,
                    progress = EXCLUDED.progress, data = plot_threads.data || EXCLUDED.data, updated_at = now()
                """,
                (self._cid, thread["name"], status, len(notes), Jsonb({"notes": notes})),
            )

    async def _events(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        for key, event in after.items():
            if before.get(key) == event:
                continue
            await self._conn.execute(
                """
                INSERT INTO events (campaign_id, name, description, status, triggered_at)
                VALUES (%s, %s, %s, %s, CASE WHEN %s <> 'pending' THEN now() END)
                ON CONFLICT (campaign_id, name) DO UPDATE SET status = EXCLUDED.status,
                    description = EXCLUDED.description,
                    triggered_at = COALESCE(events.triggered_at, EXCLUDED.triggered_at)
                """,
                (self._cid, event["name"], event.get("description", ""), event["status"], event["status"]),
            )

    async def _hooks(self, before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> None:
        old = {h["text"]: h for h in before}
        for hook in after:
            if old.get(hook["text"]) == hook:
                continue
            if hook["text"] in old:
                await self._conn.execute(
                    "UPDATE story_hooks SET used = %s WHERE campaign_id = %s AND text = %s",
                    (hook.get("used", False), self._cid, hook["text"]),
                )
            else:
                await self._conn.execute(
                    "INSERT INTO story_hooks (campaign_id, text, used) VALUES (%s, %s, %s)",
                    (self._cid, hook["text"], hook.get("used", False)),
                )

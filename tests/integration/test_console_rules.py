"""The console's `!rules` against the real SRD database (imported from the shipped PDF if empty)."""

from __future__ import annotations

import pytest

from gateway.console import ConsoleGame


async def test_exact_spell_lookup_shows_srd_values(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules spell Fireball")
    assert reply.startswith("Fireball\n========")
    assert "8d6 fire damage" in reply and "range: 150 feet" in reply


async def test_a_typo_finds_the_closest_entry_and_says_so(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules condition parlyzed")
    assert reply.startswith("(closest match for 'parlyzed')\nParalyzed")


async def test_a_miss_is_a_friendly_line(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules spell zzzz qqqq")
    assert reply.startswith("The SRD has no spell called 'zzzz qqqq'")


async def test_unknown_kind_is_a_friendly_error(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules potion healing")
    assert reply.startswith("I don't know the rules kind 'potion'") and "Usage: !rules KIND NAME" in reply


async def test_search_lists_matching_sections(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules search grapple")
    assert reply.startswith("SRD matches: ") and "Grappled (conditions)" in reply


async def test_long_entries_fit_one_discord_message(console: ConsoleGame) -> None:
    [reply] = await console.say("mira", "!rules monster Ancient Red Dragon")
    assert reply.startswith("Ancient Red Dragon") and len(reply) <= 2000


async def test_the_short_forms_other_bots_taught_players(console: ConsoleGame) -> None:
    [spell] = await console.say("mira", "!spell magic missile")
    [monster] = await console.say("mira", "!monster goblin")
    assert spell.startswith("Magic Missile") and monster.startswith("Goblin")


async def test_a_dropped_database_is_one_friendly_line_and_the_game_goes_on(console: ConsoleGame) -> None:
    from persistence.database import Database

    real = console.table.messages._db  # noqa: SLF001 - the pool the table writes through
    dead = Database("postgresql://nobody@127.0.0.1:1/none", timeout_s=0.5)  # never opened: every use fails
    console.table.messages._db = dead  # noqa: SLF001
    try:
        [reply] = await console.say("mira", "!roll 1d20")
        assert console.last_replies[0].kind == "error" and "Traceback" not in reply
        assert "nothing was changed" in reply.lower() or "error id" in reply
    finally:
        console.table.messages._db = real  # noqa: SLF001
    [again] = await console.say("mira", "!roll 1d20")
    assert again.startswith("mira rolls 1d20")

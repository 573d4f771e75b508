"""The console game through `lorekeeper play --script` and the ConsoleGame class."""

from __future__ import annotations

import re

import pytest

from gateway.cli import main
from gateway.console import ConsoleGame, parse_line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mira: !roll 1d20", ("mira", "!roll 1d20")),
        ("!roll 1d20", ("player", "!roll 1d20")),
        ("I look around: carefully", ("player", "I look around: carefully")),
        ("bram:   hello  ", ("bram", "hello")),
    ],
)
def test_parse_line_splits_player_and_text(line: str, expected: tuple[str, str]) -> None:
    parsed = parse_line(line)
    assert parsed is not None and (parsed.player, parsed.text) == expected


@pytest.mark.parametrize("line", ["", "   ", "# a comment"])
def test_parse_line_skips_blank_and_comments(line: str) -> None:
    assert parse_line(line) is None


def test_script_plays_through_and_stops_at_quit(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "game.txt"
    script.write_text("mira: !roll 2d6+3\nbram: !roll 1d\nmira: !quit\nbram: !roll 1d4\n")
    assert main(["play", "--no-rules", "--script", str(script), "--seed", "11"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    total = int(re.search(r"Total: (\d+)", lines[0]).group(1))
    assert lines[0].startswith("DM: mira rolls 2d6+3") and 5 <= total <= 15
    assert lines[1].startswith("DM: bram: I can't roll `1d`")
    assert lines[2] == "DM: The session ends. Farewell, adventurers."


async def test_same_seed_same_rolls() -> None:
    first = await ConsoleGame(seed=5).handle("mira", "!roll 4d6kh3")
    second = await ConsoleGame(seed=5).handle("mira", "!roll 4d6kh3")
    assert first == second


async def test_unknown_command_and_overlong_message_are_refused_politely() -> None:
    game = ConsoleGame()
    assert await game.handle("mira", "!fireball") == [
        "mira, I don't know the command !fireball. Type !help for the list."]
    assert "too long" in (await game.handle("mira", "a" * 2001))[0]
    assert not game.finished


async def test_rules_without_a_database_is_a_friendly_line() -> None:
    reply = await ConsoleGame().handle("mira", "!rules spell fireball")
    assert reply == ["The rules library is closed right now (the database is unavailable); dice still work."]
    assert (await ConsoleGame().handle("mira", "!rules"))[0].startswith("Usage: !rules KIND NAME")


def test_missing_script_is_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--script", str(tmp_path / "nope.txt")]) == 1
    assert "can't read the script" in capsys.readouterr().err

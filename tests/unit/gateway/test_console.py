"""Console line parsing (the game itself is tested through a real table in tests/integration)."""

from __future__ import annotations

import pytest

from gateway.cli import main
from gateway.console import parse_line, player_id_for


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mira: !roll 1d20", ("mira", "!roll 1d20")),
        ("!roll 1d20", ("player", "!roll 1d20")),
        ("I look around: carefully", ("player", "I look around: carefully")),
        ("bram:   hello  ", ("bram", "hello")),
        ("Sir Bob: !roll 1d20", ("Sir Bob", "!roll 1d20")),
        ("!r 1d20+5: attack", ("player", "!r 1d20+5: attack")),
    ],
)
def test_parse_line_splits_player_and_text(line: str, expected: tuple[str, str]) -> None:
    parsed = parse_line(line)
    assert parsed is not None and (parsed.player, parsed.text) == expected and parsed.problem is None


def test_a_known_lower_case_name_with_a_space_is_a_name() -> None:
    parsed = parse_line("old tom: !roll 1d6", known=["Old Tom"])
    assert parsed is not None and parsed.player == "old tom"


def test_an_empty_name_is_refused_not_guessed() -> None:
    parsed = parse_line(": !roll 1d6")
    assert parsed is not None and parsed.problem is not None


@pytest.mark.parametrize(("line", "seconds"), [("wait 2", 2.0), ("WAIT 0.5", 0.5), ("wait 9999", 9999.0), ("wait 999999", 86400.0)])
def test_wait_lines_pause(line: str, seconds: float) -> None:
    parsed = parse_line(line)
    assert parsed is not None and parsed.wait_s == seconds


@pytest.mark.parametrize("line", ["", "   ", "# a comment"])
def test_parse_line_skips_blank_and_comments(line: str) -> None:
    assert parse_line(line) is None


def test_player_ids_are_stable_and_distinct() -> None:
    assert player_id_for("Mira") == player_id_for("mira ") != player_id_for("Bram")
    assert 0 < player_id_for("x") < 2**63


def test_missing_script_is_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "--script", str(tmp_path / "nope.txt")]) == 1
    assert "can't read the script" in capsys.readouterr().err


def test_unknown_llm_is_refused_by_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["play", "--llm", "gpt-17"])
    assert "scripted:PATH" in capsys.readouterr().err

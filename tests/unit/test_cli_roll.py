"""`lorekeeper roll` through gateway.cli.main, as a user runs it."""

from __future__ import annotations

import json

import pytest

from gateway.cli import main


def test_roll_json_with_seed_is_exact(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "1d20+5 advantage", "--seed", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "expression": "1d20+5 advantage",
        "total": 16,
        "rolls": [{"sides": 20, "value": 11, "kept": True}, {"sides": 20, "value": 5, "kept": False}],
        "crit": False,
        "fumble": False,
        "success": None,
        "breakdown": "2d20kh1 (11, ~~5~~) + 5 = 16",
    }


def test_roll_human_output_shows_breakdown_total_and_dc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "1d20+5", "adv", "--seed", "7", "--dc", "15"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2d20kh1 (11, dropped 5) + 5 = 16", "Total: 16 vs DC 15: success"]


def test_roll_dc_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "1d1+3", "--dc", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 4 and out["success"] is False


def test_roll_without_seed_varies_but_stays_in_range(capsys: pytest.CaptureFixture[str]) -> None:
    totals = set()
    for _ in range(30):
        assert main(["roll", "2d6", "--json"]) == 0
        totals.add(json.loads(capsys.readouterr().out)["total"])
    assert totals <= set(range(2, 13)) and len(totals) > 3


def test_bad_expression_is_one_friendly_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "1d"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().startswith("error: I can't roll `1d`:")
    assert "Traceback" not in captured.err


def test_a_leading_minus_is_dice_not_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "-1d6", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert -6 <= out["total"] <= -1


def test_plain_output_has_no_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "1d20+5", "adv", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "~~" not in out and "2d20kh1 (11, dropped 5) + 5 = 16" in out


def test_zero_dice_and_absurd_numbers_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roll", "0d6"]) == 1
    assert main(["roll", "1d20+99999999999999999999"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "at least one die" in err[0] and "too big" in err[1]

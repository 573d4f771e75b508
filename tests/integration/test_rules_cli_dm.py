"""`lorekeeper rules ...` the way a DM names things: items of any sort, guesses that say so, rules over feats,
search on the command line, singular or plural kinds, plain text for a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main


@pytest.fixture
def cli(rules, monkeypatch: pytest.MonkeyPatch, embedded_pg: str, tmp_path: Path) -> Path:
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    monkeypatch.setenv("LOREKEEPER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["rules", "show", *args])
    return code, capsys.readouterr().out


def test_an_item_is_gear_and_weapons_too(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _show(capsys, "item", "longsword")
    assert code == 0 and out.startswith("Longsword\n") and "damage: 1d8" in out
    code, out = _show(capsys, "item", "bag of holding")
    assert code == 0 and out.startswith("Bag of Holding\n")


def test_a_guess_says_so_and_names_the_alternatives(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _show(capsys, "monster", "red", "dragon")
    assert code == 0 and "a guess" in out.splitlines()[0]
    assert "Ancient Red Dragon" in out.splitlines()[0] or "Ancient Red Dragon" in out
    code, out = _show(capsys, "monster", "red", "dragon", "--json")
    record = json.loads(out)
    assert record["match"]["exact"] is False and "Young Red Dragon" in record["match"]["alternatives"] + [record["name"]]
    code, out = _show(capsys, "spell", "fireball", "--json")
    assert json.loads(out)["match"] == {"query": "fireball", "kind": "spells", "exact": True, "alternatives": []}
    assert "\n" not in out.strip()                          # one line of JSON, like every other command


def test_a_rule_is_the_rule_not_the_feat(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _show(capsys, "rule", "grapple")
    assert code == 0 and "Grappling\n" in out and "Grappler\n" not in out


def test_rules_search_on_the_command_line(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "search", "grapple"]) == 0
    out = capsys.readouterr().out
    assert "Grappling" in out and "<b>" not in out
    assert main(["rules", "search", "grapple", "--json", "--limit", "3"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["query"] == "grapple" and len(found["hits"]) == 3


@pytest.mark.parametrize(("kind", "first"), [("spell", "Acid Arrow"), ("spells", "Acid Arrow"),
                                             ("condition", "Blinded"), ("rule", None), ("item", None)])
def test_singular_and_plural_kinds_everywhere(cli: Path, capsys: pytest.CaptureFixture[str], kind: str,
                                              first: str | None) -> None:
    assert main(["rules", "export", kind]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and (first is None or json.loads(lines[0])["name"] == first)


def test_plain_text_for_a_terminal(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _show(capsys, "spell", "fire", "bolt")
    assert "level: cantrip" in out and "False" not in out and "concentration" not in out
    code, out = _show(capsys, "monster", "goblin")
    assert "STR 8 (-1)  DEX 14 (+2)" in out and "skills: Stealth +6" in out
    assert out.count("armor class") == 1 and "str: 8" not in out
    code, out = _show(capsys, "item", "longsword")
    assert "cost cp" not in out and "weight lb" not in out

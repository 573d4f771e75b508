"""The SRD rules database on a real embedded PostgreSQL: import, re-import, export, lookup, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from persistence.database import Database
from persistence.rules_book import RulesBook, UnknownRulesEntry, UnknownRulesKind
from persistence.srd_repository import SrdImportFailed, SrdRepository

SRD_PDF = Path(__file__).resolve().parents[2] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
EXPECTED = {"spells": 319, "monsters": 317, "magic_items": 240, "equipment": 220, "conditions": 15,
            "rules_sections": 727}  # fmt: skip


@pytest.fixture(scope="module")
def srd_dicts() -> dict[str, list[dict[str, Any]]]:
    from ingest.srd.service import records_as_dicts
    from ingest.srd import parse_srd

    return records_as_dicts(parse_srd(SRD_PDF))


@pytest.fixture
async def imported(db: Database, srd_dicts: dict[str, list[dict[str, Any]]]) -> Database:
    await SrdRepository(db).replace_all(srd_dicts, source_file=SRD_PDF.name, sha256="a" * 64)
    return db


async def test_import_stores_every_record_once(imported: Database) -> None:
    repo = SrdRepository(imported)
    assert await repo.counts() == EXPECTED
    assert await imported.fetch_value("SELECT count(DISTINCT name) FROM spells") == 319
    source = await repo.source()
    assert (source["source_file"], source["counts"]["monsters"]) == (SRD_PDF.name, 317)


async def test_reimport_is_idempotent(imported: Database, srd_dicts: dict[str, list[dict[str, Any]]]) -> None:
    repo = SrdRepository(imported)
    first_ids = await imported.fetch_all("SELECT id, name FROM monsters ORDER BY id")
    counts = await repo.replace_all(srd_dicts, source_file=SRD_PDF.name, sha256="a" * 64)
    assert counts == EXPECTED
    assert await repo.counts() == EXPECTED
    assert await imported.fetch_all("SELECT id, name FROM monsters ORDER BY id") == first_ids
    assert await imported.fetch_value("SELECT count(*) FROM srd_sources") == 1


async def test_a_refused_import_keeps_the_previous_rows(imported: Database, srd_dicts) -> None:
    broken = dict(srd_dicts)
    broken["spells"] = [*srd_dicts["spells"][:5], {**srd_dicts["spells"][5], "level": 12}]  # CHECK level 0..9
    with pytest.raises(SrdImportFailed):
        await SrdRepository(imported).replace_all(broken, source_file="broken.pdf", sha256="b" * 64)
    assert await SrdRepository(imported).counts() == EXPECTED
    assert (await SrdRepository(imported).source())["source_file"] == SRD_PDF.name


async def test_export_returns_exactly_what_was_parsed(imported: Database, srd_dicts) -> None:
    repo = SrdRepository(imported)
    for kind in ("spells", "monsters", "magic_items", "equipment", "conditions"):
        assert await repo.export(kind) == srd_dicts[kind], kind
    row = await imported.fetch_one(
        "SELECT challenge_rating, cr_value, xp, armor_class, speed FROM monsters WHERE name = %s", ("Swarm of Bats",)
    )
    assert (row["challenge_rating"], float(row["cr_value"]), row["xp"], row["armor_class"]) == ("1/4", 0.25, 50, 12)
    assert row["speed"] == "0 ft., fly 30 ft."


async def test_lookup_exact_fuzzy_and_miss(imported: Database) -> None:
    book = RulesBook(SrdRepository(imported))
    exact = await book.lookup("spell", "FIREBALL")
    assert (exact.name, exact.exact, exact.record["level"], exact.record["range"]) == ("Fireball", True, 3, "150 feet")
    fuzzy = await book.lookup("spells", "firebal")
    assert (fuzzy.name, fuzzy.exact) == ("Fireball", False)
    dragon = await book.lookup("monster", "ancient red dragn")
    assert (dragon.name, dragon.record["hit_points"], dragon.record["challenge_rating"]) == (
        "Ancient Red Dragon", 546, "24"
    )
    item = await book.lookup("magic-items", "bag of holding")
    assert item.record["rarity"] == "uncommon" and item.exact
    assert (await book.lookup("condition", "grappled")).record["name"] == "Grappled"
    assert (await book.lookup("rules", "Grappling")).record["path"][-2] == "Melee Attacks"
    with pytest.raises(UnknownRulesEntry) as miss:
        await book.lookup("monster", "xyzzy dragon")
    assert miss.value.suggestions and all("Dragon" in s for s in miss.value.suggestions)
    assert "Did you mean" in miss.value.user_message
    with pytest.raises(UnknownRulesKind):
        await book.lookup("feat", "Grappler")


async def test_lookup_of_one_variant_of_a_variant_item(imported: Database) -> None:
    book = RulesBook(SrdRepository(imported))
    armor = await book.lookup("item", "+2 armor")
    assert (armor.name, armor.variant, armor.record["rarities"][armor.variant]) == (
        "Armor, +1, +2, or +3", "+2", "very rare"
    )
    weapon = await book.lookup("magic-item", "Weapon +3")
    assert (weapon.name, weapon.variant, weapon.record["rarities"]["+3"]) == ("Weapon, +1, +2, or +3", "+3", "very rare")
    plain = await book.lookup("item", "Vicious Weapon")
    assert plain.variant is None


async def test_search_does_not_match_name_fragments(imported: Database) -> None:
    hits = await RulesBook(SrdRepository(imported)).search("falling damage")
    assert "Mage" not in [h.name for h in hits]  # "mage" is inside "damage", not a word of the query
    assert any(h.kind == "rules_sections" and h.name.startswith("Fall") for h in hits)


async def test_lookup_is_served_from_the_cache(imported: Database) -> None:
    book = RulesBook(SrdRepository(imported))
    await book.lookup("spell", "Shield")
    await imported.execute("UPDATE spells SET data = jsonb_set(data, '{range}', '\"Self (changed)\"') WHERE name = 'Shield'")
    try:
        assert (await book.lookup("spell", "Shield")).record["range"] == "Self"
        book.invalidate()
        assert (await book.lookup("spell", "Shield")).record["range"] == "Self (changed)"
    finally:
        await imported.execute("UPDATE spells SET data = jsonb_set(data, '{range}', '\"Self\"') WHERE name = 'Shield'")


async def test_search_finds_rules_and_entries(imported: Database) -> None:
    book = RulesBook(SrdRepository(imported))
    hits = await book.search("grapple a creature", limit=10)
    assert any(h.kind == "rules_sections" and h.name == "Grappling" for h in hits)
    top = (await book.search("Fireball", limit=5))[0]
    assert (top.kind, top.name) == ("spells", "Fireball")
    cover = await book.search("half cover three-quarters cover")
    assert "Cover" in [h.name for h in cover if h.kind == "rules_sections"]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, embedded_pg: str, tmp_path: Path):
    """The CLI pointed at the session's embedded server through DATABASE_URL."""
    from gateway.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", embedded_pg)
    monkeypatch.setenv("LOREKEEPER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_import_export_show(cli_env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import main

    copy = tmp_path / "SRD-OGL_V5.1.pdf"  # any path to an SRD 5.1 PDF is accepted
    copy.write_bytes(SRD_PDF.read_bytes())
    assert main(["rules", "import", str(copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == EXPECTED
    assert set(report["seconds"]) >= {"extract", "parse", "verify", "store"}

    assert main(["rules", "export", "conditions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 15 and json.loads(lines[0])["name"] == "Blinded"
    assert list(json.loads(lines[0])) == ["name", "description", "page"]  # the records' field order

    assert main(["rules", "export", "rules-sections"]) == 0
    sections = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(sections) == 727 and sections[0]["path"] == ["Races", "Racial Traits"]

    assert main(["rules", "export", "monsters"]) == 0
    monsters = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    goblin = next(m for m in monsters if m["name"] == "Goblin")
    assert (goblin["challenge_rating"], goblin["xp"], goblin["armor_class"], goblin["dex"]) == ("1/4", 50, 15, 14)

    assert main(["rules", "show", "spell", "magic", "missle", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Magic Missile"

    assert main(["rules", "show", "monster", "zzzz", "qqqq"]) == 1
    assert "has no monster called" in capsys.readouterr().err


def test_cli_refuses_a_non_srd_pdf_and_writes_nothing(imported, cli_env, tmp_path: Path, capsys) -> None:
    from gateway.cli import main

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Not the SRD")
    other = tmp_path / "SRD-OGL_V5.1.pdf"
    doc.save(other)
    assert main(["rules", "import", str(other)]) == 1
    err = capsys.readouterr().err
    assert "does not look like the SRD 5.1" in err and "Traceback" not in err
    assert main(["rules", "show", "spell", "Fireball", "--json"]) == 0  # the earlier import is intact
    assert json.loads(capsys.readouterr().out)["level"] == 3

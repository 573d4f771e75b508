"""A module laid out differently from the sample: body-size bold keyed headings, inline bold NPC
paragraphs, a stat-block reference, a three-column page and a footer with the title and page number."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ingest.campaign.pipeline import parse_campaign_pdf

BODY = 9.5


def _write(page: pymupdf.Page, x: float, y: float, spans: list[tuple[str, str]], size: float = BODY,
           color: tuple[float, float, float] = (0, 0, 0)) -> float:
    """Write one line made of (font, text) spans; returns the next baseline."""
    for font, text in spans:
        page.insert_text((x, y), text, fontsize=size, fontname=font, color=color)
        x += pymupdf.get_text_length(text, fontname=font, fontsize=size)
    return y + size * 1.3


def _module(path: Path) -> Path:
    doc = pymupdf.open()
    for n in range(1, 5):
        page = doc.new_page(width=612, height=792)
        _write(page, 300, 770, [("helv", f"Tomb of the Salt King | {n}")], size=7)
        if n == 1:
            y = _write(page, 60, 70, [("hebo", "PART ONE: THE SALT FLATS")], size=16)
            y = _write(page, 60, y + 6, [("helv", "The flats shimmer under a white sun. Few travellers cross them.")])
            y = _write(page, 60, y + 10, [("hebo", "1. WAYSTATION")])
            y = _write(page, 60, y, [("helv", "A crumbling inn of mud brick stands beside a dry well. Its")])
            y = _write(page, 60, y, [("helv", "shutters bang in the hot wind.")])
            y = _write(page, 60, y + 6, [("hebo", "Hesper Vail. "), ("helv", "The innkeeper is a gaunt woman who")])
            y = _write(page, 60, y, [("helv", "hoards water. She sells a skin for 5 gp and knows the way to")])
            y = _write(page, 60, y, [("helv", "the tomb, though she lies about the dangers of area 2.")])
            y = _write(page, 60, y + 10, [("hebo", "2. DRY WELL")])
            y = _write(page, 60, y, [("helv", "The well shaft drops sixty feet to a tunnel that leads to area 3.")])
            y = _write(page, 60, y, [("helv", "Two "), ("hebo", "giant scorpions"), ("helv", " nest at the bottom and attack")])
            y = _write(page, 60, y, [("helv", "anything that climbs down.")])
        elif n == 2:
            y = _write(page, 60, 70, [("hebo", "3. HALL OF THE KING")])
            for col, words in enumerate(("First column text about the salt pillars.",
                                         "Second column text about the sleeping king.",
                                         "Third column text about the hidden door.")):
                yy = y
                head, _, tail = words.rpartition(" about ")
                for _ in range(4):
                    yy = _write(page, 60 + col * 175, yy, [("helv", head + " about")])
                    yy = _write(page, 60 + col * 175, yy, [("helv", tail + " More.")])
        elif n == 4:
            # a heading told apart only by its typeface and colour; a shaded, upright read-aloud box
            y = _write(page, 60, 70, [("tiro", "5. Salt Garden")], size=BODY + 1, color=(0.5, 0.1, 0.1))
            page.draw_rect(pymupdf.Rect(55, y - 10, 330, y + 20), color=None, fill=(0.9, 0.88, 0.8))
            y = _write(page, 60, y, [("helv", "White crystals grow like flowers from every wall of this cave,")])
            y = _write(page, 60, y, [("helv", "chiming softly when you breathe.")])
            y = _write(page, 60, y + 12, [("helv", "The crystals are worth 50 gp to an alchemist.")])
            y = _write(page, 60, y + 12, [("hebo", "Orla Brine")], size=BODY + 0.5)
            y = _write(page, 60, y, [("helv", "A salt-miner who lost her way years ago. She trades crystals for")])
            y = _write(page, 60, y, [("helv", "bread and warns visitors that the king does not sleep.")])
        else:
            y = _write(page, 60, 70, [("hebo", "4. THE KING'S REST")])
            y = _write(page, 60, y, [("helv", "Korrath the Salt King (use the "), ("hebo", "mummy lord"),
                                     ("helv", " stat block) rises when")])
            y = _write(page, 60, y, [("helv", "the lid of his sarcophagus is moved. A secret stair leads up to area 1.")])
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    return parse_campaign_pdf(_module(tmp_path_factory.mktemp("mod") / "salt.pdf"), ["Giant Scorpion", "Mummy Lord"])


def test_body_size_bold_keyed_headings_become_locations(parsed) -> None:
    assert [(loc.key, loc.name) for loc in parsed.world.locations] == [
        ("1", "WAYSTATION"), ("2", "DRY WELL"), ("3", "HALL OF THE KING"), ("4", "THE KING'S REST"),
        ("5", "Salt Garden")]
    assert all(c.heading_path[0] == "PART ONE: THE SALT FLATS" for c in parsed.chunks if c.kind == "location")


def test_inline_bold_npc_paragraph_is_its_own_chunk_and_row(parsed) -> None:
    npcs = {n.name: n for n in parsed.world.npcs}
    assert "Hesper Vail" in npcs
    chunk = parsed.chunks[npcs["Hesper Vail"].chunk_index]
    assert chunk.kind == "npc" and chunk.heading_path == ("PART ONE: THE SALT FLATS", "1. WAYSTATION", "Hesper Vail")
    assert chunk.text.startswith("Hesper Vail\n\nHesper Vail. The innkeeper")
    assert npcs["Hesper Vail"].location == "WAYSTATION"
    assert "npc:Hesper_Vail" in chunk.tags and "location:WAYSTATION" in chunk.tags
    assert npcs["Korrath the Salt King"].stat_block == "mummy lord"


def test_monsters_connections_footer_and_three_columns(parsed) -> None:
    well = next(c for c in parsed.chunks if c.heading_path[-1] == "2. DRY WELL")
    assert {"monster:Giant_Scorpion", "encounter:DRY_WELL"} <= set(well.tags)
    rest = next(c for c in parsed.chunks if c.heading_path[-1] == "4. THE KING'S REST")
    assert "monster:Mummy_Lord" in rest.tags
    pairs = {(c.from_name, c.to_name) for c in parsed.world.connections}
    assert {("DRY WELL", "HALL OF THE KING"), ("THE KING'S REST", "WAYSTATION")} <= pairs
    assert not any("Salt King |" in c.text for c in parsed.chunks)
    hall = next(c for c in parsed.chunks if c.heading_path[-1] == "3. HALL OF THE KING").text
    assert hall.index("salt pillars") < hall.index("sleeping king") < hall.index("hidden door")


def test_typeface_heading_and_upright_boxed_read_aloud(parsed) -> None:
    garden = next(c for c in parsed.chunks if c.heading_path[-1] == "5. Salt Garden")
    assert garden.kind == "location"
    assert "Read aloud: White crystals grow like flowers" in garden.text
    assert "Read aloud: The crystals are worth" not in garden.text


def test_named_heading_under_a_keyed_area_is_an_npc(parsed) -> None:
    npcs = {n.name: n for n in parsed.world.npcs}
    assert npcs["Orla Brine"].location == "Salt Garden"
    assert parsed.chunks[npcs["Orla Brine"].chunk_index].heading_path[-2:] == ("5. Salt Garden", "Orla Brine")

"""ingest.campaign.layout on the sample adventure and on synthetic PDFs built with pymupdf."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pymupdf
import pytest

from ingest.campaign.pipeline import parse_campaign_pdf
from ingest.errors import UnreadablePdf
from ingest.campaign.layout import read_pdf
SAMPLE_CAMPAIGN_PDF = Path(__file__).resolve().parents[3] / "data" / "campaigns" / "the-drowned-lantern.pdf"


@pytest.fixture(scope="module")
def sample():
    return parse_campaign_pdf(SAMPLE_CAMPAIGN_PDF)


def test_running_headers_and_page_numbers_never_reach_chunk_text(sample) -> None:
    for chunk in sample.chunks:
        assert "THE DROWNED LANTERN" not in chunk.text
        assert not any(re.fullmatch(r"\d{1,3}", line.strip()) for line in chunk.text.splitlines())
    blocks = [b.text for b in sample.document.blocks]
    assert "THE DROWNED LANTERN" not in " ".join(blocks)


def test_columns_are_read_left_then_right(sample) -> None:
    # A1's text ends at the bottom of the left column ("water pouring from their") and goes on
    # at the top of the right one ("mouths."): one sentence, in order.
    a1 = next(c for c in sample.chunks if c.heading_path[-1] == "A1. Harbor Gate")
    assert "water pouring from their mouths." in a1.text
    assert a1.text.index("The guards, Hode and Pellam") < a1.text.index("A character who offers a bribe")


def test_compound_hyphen_is_kept_when_the_document_spells_it_so(sample) -> None:
    text = " ".join(c.text for c in sample.chunks)
    assert "single green-tinted pearl" in text
    assert "greentinted" not in text


def test_read_aloud_stat_blocks_and_tables_stay_whole(sample) -> None:
    by_head = {c.heading_path[-1]: c for c in sample.chunks if c.heading_path}
    assert "Read aloud: A squat gatehouse of gray stone" in by_head["A1. Harbor Gate"].text
    sailor = by_head["Drowned Sailor"]
    assert sailor.kind == "stat_block"
    assert "Armor Class 10" in sailor.text and "Brine Vomit (Recharge 6)." in sailor.text
    assert "STR DEX CON INT WIS CHA 13 (+1) 8 (-1) 13 (+1) 3 (-4) 6 (-2) 5 (-3)" in sailor.text
    rumors = by_head["Gullhaven Rumors (d6)"]
    assert rumors.kind == "table"
    assert "1 | The keeper went mad and threw himself from the lamp room. | False" in rumors.text
    assert "5 | The harbormaster lost his fortune at cards in the capital. | Partly true; he lost it to the Brine Hand" \
        in rumors.text
    encounters = by_head["Coast and Caves Encounters (d8)"]
    assert encounters.text.count("\n") >= 8        # header + 8 rows


def test_multi_line_headings_are_joined_and_levels_nest(sample) -> None:
    paths = {c.heading_path for c in sample.chunks}
    assert ("Chapter 2: Crow Point Lighthouse", "B3. The Wreckers' Cellar", "Cutter Nell") in paths
    assert ("Chapter 3: The Drowned Vault", "C6. The Drowned Lantern", "Mother Kelpwhistle") in paths
    assert sample.document.title == "The Drowned Lantern"


# ------------------------------------------------------------------ synthetic documents

LEFT = ["The old road winds past the mill where the", "miller keeps a wary eye on travellers. Adven-",
        "turers who stop here are offered bread and", "a warning about the wolves in the hills."]
RIGHT = ["Beyond the river lies the ruined tower, home", "to a hermit who trades riddles for coin. He",
         "speaks only in rhymes and never at night."]


def _two_column_pdf(path: Path, pages: int = 3) -> Path:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_text((50, 30), "GRIMDARK QUARTERLY", fontsize=7, fontname="hebo")
        page.insert_text((300, 770), str(n + 1), fontsize=8, fontname="helv")
        page.insert_text((60, 80), f"{n + 1}. The Mill Road" if n == 0 else f"{n + 1}. Room {n + 1}",
                         fontsize=13, fontname="hebo")
        y = 110
        for line in LEFT:
            page.insert_text((60, y), line, fontsize=10, fontname="helv")
            y += 13
        y = 110
        for line in RIGHT:
            page.insert_text((330, y), line, fontsize=10, fontname="helv")
            y += 13
        page.insert_text((60, 200), "A wide bridge crosses the water here. It is old and it creaks badly.",
                         fontsize=10, fontname="helv")
    doc.save(path)
    return path


def test_synthetic_two_columns_headers_footers_and_hyphens(tmp_path: Path) -> None:
    document = read_pdf(_two_column_pdf(tmp_path / "two.pdf"))
    text = "\n".join(b.text for b in document.blocks)
    assert "GRIMDARK" not in text
    assert not any(b.text.strip().isdigit() for b in document.blocks)
    assert "Adventurers who stop here" in text          # "Adven-" + "turers" joined
    page1 = [b for b in document.blocks if b.page == 1]
    body = " ".join(b.text for b in page1)
    assert body.index("wolves in the hills") < body.index("Beyond the river")
    assert body.index("never at night") < body.index("A wide bridge")
    headings = [b for b in document.blocks if b.kind == "heading"]
    assert [h.text for h in headings][:2] == ["1. The Mill Road", "2. Room 2"]
    assert all(h.keyed for h in headings)


def test_synthetic_keyed_rooms_become_location_chunks(tmp_path: Path) -> None:
    parsed = parse_campaign_pdf(_two_column_pdf(tmp_path / "rooms.pdf"))
    keyed = [c for c in parsed.chunks if c.kind == "location"]
    assert [c.heading_path[-1] for c in keyed] == ["1. The Mill Road", "2. Room 2", "3. Room 3"]
    assert {loc.key for loc in parsed.world.locations} == {"1", "2", "3"}
    assert "location:Mill_Road" in keyed[0].tags


# ------------------------------------------------------------------ unreadable input


def _bad_pdfs(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(random.Random(4096).randbytes(4096))  # fixed bytes: a failure can be replayed
    locked = tmp_path / "locked.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret adventure text that nobody may read.")
    doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")
    image_only = tmp_path / "scan.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), 0)
    pix.clear_with(200)
    page.insert_image(pymupdf.Rect(72, 72, 300, 300), pixmap=pix)
    doc.save(image_only)
    return {"empty": empty, "noise": noise, "locked": locked, "scan": image_only, "missing": tmp_path / "nope.pdf"}


@pytest.mark.parametrize("kind,reason", [("empty", "empty"), ("noise", "not a valid PDF"), ("locked", "encrypted"),
                                         ("scan", "no text layer"), ("missing", "does not exist")])
def test_unreadable_pdfs_raise_a_clear_error(tmp_path: Path, kind: str, reason: str) -> None:
    path = _bad_pdfs(tmp_path)[kind]
    with pytest.raises(UnreadablePdf) as err:
        read_pdf(path)
    assert reason in err.value.user_message
    assert str(path) in err.value.user_message

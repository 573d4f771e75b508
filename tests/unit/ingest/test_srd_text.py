"""The text layer: normalisation of the SRD PDF's odd characters, line joining, errors."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ingest.errors import NotAnSrd, SrdParseError, UnreadablePdf
from ingest.srd import REQUIRED_BOOKMARKS, parse_srd
from ingest.srd.text import clean, join_lines, to_int

SRD_PDF = Path(__file__).resolve().parents[3] / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"


def test_clean_pdf_whitespace_hyphens_minus_and_quotes():
    assert clean("2nd-\xad\u2010\u2011level\t\r \xa0evocation\t\r \xa0") == "2nd-level evocation"
    assert clean("Saber-\xad\u2010Toothed Tiger") == "Saber-Toothed Tiger"
    assert clean("9\t\r \xa0(\u22121)") == "9 (-1)"
    assert clean("adder\u2019s \u201cstomach\u201d") == "adder's \"stomach\""
    assert clean("\ufb01re") == "fire"


def test_join_lines_keeps_compound_words_and_dashes():
    assert join_lines(["a disease-", "curing spell"]) == "a disease-curing spell"
    assert join_lines(["Tiny\u2014", "or larger"]) == "Tiny\u2014or larger"
    assert join_lines(["8 (1d10", "+ 3) slashing"]) == "8 (1d10 + 3) slashing"
    assert join_lines(["", "one", " two "]) == "one two"


def test_to_int():
    assert to_int("5,900") == 5900 and to_int("+5") == 5 and to_int("\u22121") == -1


def test_missing_and_corrupt_files_are_unreadable(tmp_path):
    with pytest.raises(UnreadablePdf):
        parse_srd(tmp_path / "nope.pdf")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 this is not really a pdf")
    with pytest.raises(UnreadablePdf) as err:
        parse_srd(bad)
    assert "bad.pdf" in err.value.user_message


def test_a_pdf_that_is_not_the_srd(tmp_path):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "The Drowned Lantern")
    path = tmp_path / "other.pdf"
    doc.save(path)
    with pytest.raises(NotAnSrd) as err:
        parse_srd(path)
    assert "Spell Descriptions" in err.value.missing


def test_srd_bookmarks_without_srd_content_fail_loudly(tmp_path):
    doc = pymupdf.open()
    for i in range(4):
        doc.new_page().insert_text((72, 72), f"page {i}")
    doc.set_toc([[1, title, min(i + 1, 4)] for i, title in enumerate(REQUIRED_BOOKMARKS)])
    path = tmp_path / "hollow.pdf"
    doc.save(path)
    with pytest.raises(SrdParseError):
        parse_srd(path)


def test_a_damaged_entry_fails_loudly_and_names_itself():
    from ingest.srd.layout import open_srd
    from ingest.srd.spells import parse_spells

    doc = open_srd(SRD_PDF)
    try:
        lines = doc.page_lines(144)  # the cached list: damage it in place
        start = next(i for i, l in enumerate(lines) if l.text == "Fireball")
        victim = next(i for i in range(start, len(lines)) if lines[i].text.startswith("Range:"))
        del lines[victim]
        with pytest.raises(SrdParseError) as err:
            parse_spells(doc)
    finally:
        doc.close()
    assert (err.value.entry, err.value.page) == ("Fireball", 144)
    assert "Range" in err.value.reason

"""An independent accuracy check: the parsed text must be the PDF's text, word for word.

The reference is pymupdf's plain `page.get_text()` (not the parser's span/column layer), with
the running footer dropped and whitespace removed. Every prose paragraph and every text field
of every spell, monster and magic item must occur verbatim on the entry's pages. Table rows are
exempt from the order check (the plain text walks table cells column by column) but every one
of their words must be on those pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

_WS = re.compile(r"\s+")
_SPELLS_WITH_TABLES = {"Teleport", "Animate Objects", "Confusion", "Control Weather", "Reincarnate"}


@pytest.fixture(scope="module")
def squashed(srd_plain: dict[int, str]) -> dict[int, str]:
    out = {}
    for page, text in srd_plain.items():
        lines = text.split("\n")
        if lines[:2] == ["System Reference Document 5.1", str(page)]:
            lines = lines[2:]  # the running footer, which the plain text puts first
        out[page] = _WS.sub("", "".join(lines))
    return out


def _window(squashed: dict[int, str], page: int) -> str:
    return "".join(squashed.get(p, "") for p in range(page, page + 3))


def _paragraphs(records) -> Iterator[tuple[str, int, str]]:
    for s in records.spells:
        for field in (s.casting_time, s.range, s.duration, s.material, s.higher_levels, *s.description.split("\n")):
            if field:
                yield s.name, s.page, field
    for m in records.monsters:
        fields = [m.armor_class_text, m.hit_dice, m.speed_text, m.senses, m.languages, m.damage_vulnerabilities,
                  m.damage_resistances, m.damage_immunities, m.condition_immunities, m.legendary_description,
                  *(m.description or "").split("\n")]
        for item in (*m.traits, *m.actions, *m.reactions, *m.legendary_actions):
            fields.append(item.name)
            fields.extend(item.description.split("\n"))
        for field in fields:
            if field:
                yield m.name, m.page, field
    for i in records.magic_items:
        for field in (i.type_line, *i.description.split("\n")):
            yield i.name, i.page, field


def test_every_paragraph_is_verbatim_in_the_pdf(srd_records, squashed):
    checked, table_rows, missing = 0, 0, []
    for name, page, text in _paragraphs(srd_records):
        checked += 1
        window = _window(squashed, page)
        if _WS.sub("", text) in window:
            continue
        # a table row: its cells are in the text, but not in reading order
        if len(text) < 400 and all(_WS.sub("", w) in window for w in text.split()):
            table_rows += 1
            continue
        missing.append((name, page, text[:80]))
    assert not missing, missing[:10]
    assert checked > 5000
    assert table_rows < checked * 0.03


def test_names_are_printed_as_headings(srd_records, srd_plain):
    for kind in ("spells", "monsters", "magic_items"):
        for record in getattr(srd_records, kind):
            text = srd_plain[record.page] + "\n" + srd_plain.get(record.page + 1, "")
            flat = text.replace("\n", " ")
            assert f"\n{record.name}" in text or record.name in flat, (kind, record.name)


def test_no_spell_text_is_dropped(srd_records, srd_plain):
    # between one spell's heading and the next, only the level line, the four labels and table
    # cells (which the plain text orders differently) may be left once the parsed fields are removed
    text = "\n".join(
        "\n".join(srd_plain[p].split("\n")[2:]) for p in range(114, 195)
    )
    starts, pos = [], 0
    for spell in srd_records.spells:
        pos = text.index(f"\n{spell.name}\n", pos)
        starts.append(pos)
    starts.append(len(text))
    for spell, a, b in zip(srd_records.spells, starts, starts[1:], strict=False):
        left = _WS.sub("", text[a:b])
        fields = [spell.name, spell.casting_time, spell.range, spell.duration, spell.material, spell.higher_levels,
                  *spell.description.split("\n")]
        for field in fields:
            if field:
                left = left.replace(_WS.sub("", field), "", 1)
        left = re.sub(r"^(\d\w\w-level\w+|\w+cantrip)(\(ritual\))?", "", left, flags=re.I)
        left = re.sub(r"CastingTime:|Range:|Components?:|Duration:|AtHigherLevels\.|[VSM](,[VSM])*(\(\))?", "", left)
        limit = 160 if spell.name in _SPELLS_WITH_TABLES else 20
        assert len(left) < limit, (spell.name, left[:120])

"""Equipment from the Equipment chapter's tables: armor, weapons, adventuring gear, tools,
mounts, tack and vehicles, plus the equipment packs. An item's description is taken from the
chapter's bold-italic paragraph of the same name ("Padded. Padded armor consists of ...")."""

from __future__ import annotations

import re
from fractions import Fraction

from ingest.errors import SrdParseError
from ingest.srd.paragraphs import chapter_pages, paragraph_lines
from ingest.srd.layout import SrdDocument
from ingest.srd.models import Equipment
from ingest.srd.tables import TableRow, read_table
from ingest.srd.text import join_lines

__all__ = ["parse_equipment", "cost_in_cp", "weight_in_lb", "split_properties"]

_COIN_CP = {"cp": 1, "sp": 10, "ep": 50, "gp": 100, "pp": 1000}
_COST_RE = re.compile(r"^([\d,]+) (cp|sp|ep|gp|pp)$")
_WEIGHT_RE = re.compile(r"^(\d+(?:/\d+)?)?(½)? lb\.")
_DAMAGE_RE = re.compile(r"^(\d+(?:d\d+)?) (\w+)$")
_PACK_RE = re.compile(r"^(.+?) \(([\d,]+ (?:cp|sp|gp))\)\. (.+)$", re.DOTALL)
_NONE = ("—", "*", "")
# table groups whose same-named paragraph is a rule, not a description of the items in the group
_GENERIC_GROUPS = {"Ammunition", "Light Armor", "Medium Armor", "Heavy Armor"}

# (table title, category, name column)
_TABLES = (
    ("Armor", "armor", "Armor"),
    ("Weapons", "weapon", "Name"),
    ("Adventuring Gear", "adventuring gear", "Item"),
    ("Tools", "tool", "Item"),
    ("Mounts and Other Animals", "mount", "Item"),
    ("Tack, Harness, and Drawn Vehicles", "tack, harness, and drawn vehicle", "Item"),
    ("Waterborne Vehicles", "waterborne vehicle", "Item"),
)


def cost_in_cp(cost: str | None) -> int | None:
    """``"1,500 gp"`` -> 150000; None for a dash, an asterisk or a multiplier (``×4``)."""
    m = _COST_RE.match(cost or "")
    return int(m.group(1).replace(",", "")) * _COIN_CP[m.group(2)] if m else None


def weight_in_lb(weight: str | None) -> float | None:
    """``"1½ lb."`` -> 1.5, ``"1/4 lb."`` -> 0.25, ``"5 lb. (full)"`` -> 5.0; None for a dash."""
    m = _WEIGHT_RE.match(weight or "")
    if not m or not (m.group(1) or m.group(2)):
        return None
    value = Fraction(m.group(1) or "0") + (Fraction(1, 2) if m.group(2) else 0)
    return float(value)


def split_properties(text: str) -> list[str]:
    """``"Ammunition (range 80/320), loading"`` -> ``["ammunition (range 80/320)", "loading"]``.

    Property names are lower case, as the rules text names them: the table only capitalises
    the first one because it starts the cell.
    """
    if text in _NONE:
        return []
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [p[:1].lower() + p[1:] for p in out if p]


def parse_equipment(doc: SrdDocument) -> list[Equipment]:
    """Every row of the equipment tables, then the equipment packs.

    Raises:
        SrdParseError: a table is missing or a row lacks its name, cost or damage.
    """
    first, last = chapter_pages(doc, "Equipment", level=1)
    described = _descriptions(doc, first, last)
    out: list[Equipment] = []
    for title, category, name_col in _TABLES:
        for row in read_table(doc, title, first, last):
            name = row.cells.get(name_col)
            if not name:
                raise SrdParseError(title, row.page, f"a row without a name: {row.cells}")
            if name.startswith("*") and len(row.cells) == 1:
                continue  # a footnote under the table
            out.append(_record(title, category, name, row, described))
    out.extend(_packs(doc, first, last))
    return out


def _value(cells: dict[str, str], key: str) -> str | None:
    v = cells.get(key)
    return None if v is None or v in _NONE else v


def _record(title: str, category: str, name: str, row: TableRow, described: dict[str, str]) -> Equipment:
    cells = row.cells
    sub = row.subcategory
    if title == "Tools" and sub == "Artisan's tools" and name.endswith(" kit"):
        sub = None  # the disguise and forgery kits are indented under artisan's tools but are not ones
    cost = cells.get("Cost")
    weight = cells.get("Weight")
    damage = damage_type = None
    if title == "Weapons":
        dmg = cells.get("Damage", "")
        if dmg not in _NONE:
            m = _DAMAGE_RE.match(dmg)
            if not m:
                raise SrdParseError(name, row.page, f"bad weapon damage {dmg!r}")
            damage, damage_type = m.groups()
    strength = None
    if title == "Armor" and _value(cells, "Strength"):
        m = re.match(r"^Str (\d+)$", cells["Strength"])
        if not m:
            raise SrdParseError(name, row.page, f"bad Strength {cells['Strength']!r}")
        strength = int(m.group(1))
    if cost is None:
        raise SrdParseError(name, row.page, "no cost")
    return Equipment(
        name=name,
        category=category,
        subcategory=sub,
        cost=None if cost in _NONE else cost,
        cost_cp=cost_in_cp(cost),
        weight=None if weight is None or weight in _NONE else weight,
        weight_lb=weight_in_lb(weight),
        damage=damage,
        damage_type=damage_type,
        properties=split_properties(cells.get("Properties", "")),
        armor_class=cells.get("Armor Class (AC)"),
        strength=strength,
        stealth_disadvantage=(cells.get("Stealth") == "Disadvantage") if title == "Armor" else None,
        speed=_value(cells, "Speed"),
        carrying_capacity=_value(cells, "Carrying Capacity"),
        description=_describe(name, described, sub),
        page=row.page,
    )


def _descriptions(doc: SrdDocument, first: int, last: int) -> dict[str, str]:
    """``{lower-cased name: text}`` from the chapter's paragraphs opening with a bold-italic name."""
    out: dict[str, str] = {}
    runs: list[list] = [[]]  # body text between headings: a heading always ends a paragraph
    for line in doc.lines(first, last):
        if line.is_heading():
            runs.append([])
        elif line.first.font.startswith("Cambria"):
            runs[-1].append(line)
    for group in (g for run in runs for g in paragraph_lines(run)):
        head = group[0]
        if not (head.first.bold and head.first.italic):
            continue
        text = join_lines([l.text for l in group])
        name, _, rest = text.partition(". ")
        if rest and len(name) < 40:
            out.setdefault(name.lower(), rest)
    return out


def _describe(name: str, described: dict[str, str], subcategory: str | None = None) -> str | None:
    """The paragraph named like the item ("Shields." for Shield, "Rope." for "Rope, silk (50 feet)"),
    else the one named like its group ("Arcane Focus." for Orb, "Saddles." for Exotic)."""
    key = name.lower()
    bare = re.sub(r" \(.*\)$", "", key)
    candidates = [key, bare, " ".join(reversed(bare.split(", "))), bare.split(", ")[0]]
    if subcategory and subcategory not in _GENERIC_GROUPS:
        candidates.append(subcategory.lower())
    for candidate in candidates:
        for form in (candidate, candidate + "s"):
            if form in described:
                return described[form]
    return None


def _packs(doc: SrdDocument, first: int, last: int) -> list[Equipment]:
    """The equipment packs: ``Burglar's Pack (16 gp). Includes ...`` paragraphs (8.9 pt sidebar)."""
    lines = [l for l in doc.lines(first, last) if l.first.font.startswith("Calibri") and l.size < 9.5]
    out: list[Equipment] = []
    current: list = []
    groups: list[list] = []
    for line in lines:
        if line.first.bold and re.match(r"^[A-Z][\w']+'s Pack \(", line.text):
            current = [line]
            groups.append(current)
        elif current and not line.first.bold and line.indent < 15:
            current.append(line)
        else:
            current = []
    for group in groups:
        text = join_lines([l.text for l in group])
        m = _PACK_RE.match(text)
        if not m:
            raise SrdParseError(text[:30], group[0].page, "bad equipment pack")
        name, cost, rest = m.groups()
        out.append(
            Equipment(
                name=name, category="equipment pack", subcategory=None, cost=cost, cost_cp=cost_in_cp(cost),
                weight=None, weight_lb=None, damage=None, damage_type=None, properties=[], armor_class=None,
                strength=None, stealth_disadvantage=None, speed=None, carrying_capacity=None, description=rest,
                page=group[0].page,
            )
        )
    return out

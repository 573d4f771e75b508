"""Blocks → heading sections → size-bounded chunks, each with its heading path and page.

One chunk per topical unit: a keyed location, an NPC sidebar, a stat block, a table, one
plot item. Long sections split on block (paragraph) boundaries with one sentence of overlap;
tiny untitled-looking sections merge into their parent or next sibling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingest.campaign.blocks import KEYED_HEADING, Block

__all__ = ["Chunk", "Section", "sections_from_blocks", "chunk_sections", "chunk_blocks",
           "MAX_CHARS", "MIN_CHARS", "PLOT_HEADING", "NPC_LABEL", "looks_like_name", "npc_name"]

MAX_CHARS = 1400        # ~256 MiniLM word pieces: longer text is truncated by the embedder
TARGET_CHARS = 1000
MIN_CHARS = 160
HARD_MAX_CHARS = 4000   # a stat block or table longer than this is split by lines
NPC_LABEL = re.compile(r"^(role|personality|secrets?|what (?:she|he|they|it) knows?|knows|motivations?|goals?|"
                       r"appearance|description|mannerisms?|ideals?|bonds?|flaws?|traits?|stats|statistics|"
                       r"roleplaying|quirks?|wants?|fears?|background|occupation|attitude|complication)$", re.IGNORECASE)
PLOT_HEADING = re.compile(r"\b(hooks?|plots?|threads?|factions?|quests?|rumou?rs?|developments?|"
                          r"side ?quests?|agendas?|villains?|adventure summary)\b", re.IGNORECASE)


_NOT_NAME = {"the", "a", "an", "treasure", "development", "developments", "tactics", "features", "trap", "traps",
             "hazard", "hazards", "encounter", "creatures", "light", "sound", "water", "doors", "secret", "if",
             "when", "general", "chapter", "part", "area", "appendix", "random", "stats", "role", "personality"}
_PRONOUN = re.compile(r"\b(he|she|his|her|him|himself|herself)\b", re.IGNORECASE)
_CAST_HEADING = re.compile(r"\b(npcs?|non-player characters|folk|townsfolk|people|personalit(?:y|ies)|cast|"
                           r"who'?s who|dramatis personae|allies|villains|residents|inhabitants|locals|notables|"
                           r"denizens|rivals|friends and foes)\b", re.IGNORECASE)
_RULES_HEADING = re.compile(r"\b(encounters?|features?|tables?|treasures?|tactics|developments?|events?|"
                            r"aftermath|conclusion|rewards?|traps?|hazards?|weather|random|notes?)\b", re.IGNORECASE)


def looks_like_name(text: str) -> bool:
    """A proper name: 1–4 capitalised words (lower-case particles allowed), not a common label."""
    words = text.replace("’", "'").split()
    if not 1 <= len(words) <= 4 or words[0].lower() in _NOT_NAME or NPC_LABEL.match(text):
        return False
    return all(w[:1].isupper() or w in ("of", "the", "de", "van", "von", "du", "al") for w in words) and \
        not any(ch.isdigit() for ch in text)


_NAME_WORD = r"(?:[A-Z][\w'\-]+|of|the|de|van|von|du|al)"
# "Tobin Reeve (human toll keeper) is ...", "Sister Garaele (LG female elf priest) tends ..."
_ROLE_INTRO = re.compile(rf"^({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}})\s*\(([^()]{{3,80}})\)")
_APPOSITIVE = re.compile(rf"^({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}}),\s+((?:a|an|the)\s[^,;.()]{{3,80}}),")
_PERSON_WORD = re.compile(r"\b(human|elf|elven|drow|dwarf|dwarven|halfling|gnome|gnomish|orc|half-orc|half-elf|"
                          r"tiefling|dragonborn|goblin|hobgoblin|kobold|aasimar|genasi|goliath|firbolg|tabaxi|"
                          r"man|woman|boy|girl|child|lad|lass|fellow|gentleman|lady|lord|widow|widower|mother|"
                          r"father|son|daughter|brother|sister|wife|husband|person)\b", re.IGNORECASE)
_NOT_ROLE = re.compile(r"^(?:\d|p\.|(?:use|uses|using|see|area|areas|room|page|dc|cr|ac|hp|wondrous|weapon|armou?r|"
                       r"potion|ring|rod|staff|wand|scroll|common|uncommon|rare|very rare|legendary|artifact|magic|"
                       r"trap|hazard|tiny|small|medium|large|huge|gargantuan)\b)", re.IGNORECASE)


def npc_name(block: Block) -> str:
    """The person a paragraph is about, or "": a bold-named paragraph ("**Mira Holt.** The innkeeper... she
    ..."), or one that opens with a name and a role in parentheses ("Tobin Reeve (human toll keeper) is ...")
    or in an aside naming a people or a kind of person ("Pell Harrow, a grizzled human veteran, ...")."""
    if block.kind != "text" or len(block.text) < 120 or _PRONOUN.search(block.text[:400]) is None:
        return ""
    if block.lead:
        return block.lead if looks_like_name(block.lead) and not PLOT_HEADING.search(block.lead) else ""
    m = _ROLE_INTRO.match(block.text)
    if m is None or _NOT_ROLE.match(m.group(2).strip()) or not re.search(r"[a-z]{3}", m.group(2)):
        m = _APPOSITIVE.match(block.text)          # "Pell Harrow, a grizzled human veteran, commands ..."
        if m is None or not _PERSON_WORD.search(m.group(2)):
            return ""
    name = m.group(1).strip()
    return name if looks_like_name(name) and len(name.split()) >= 2 and not PLOT_HEADING.search(name) else ""


def _npc_paragraph(block: Block) -> bool:
    return bool(npc_name(block))


@dataclass
class Section:
    path: tuple[str, ...]
    heading: Block | None
    blocks: list[Block] = field(default_factory=list)

    @property
    def page(self) -> int:
        if self.heading is not None:
            return self.heading.page
        return self.blocks[0].page if self.blocks else 1


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of the adventure. `kind`: section, location, npc, stat_block, table, plot, item."""

    index: int
    heading_path: tuple[str, ...]
    text: str
    page: int
    page_end: int
    kind: str = "section"
    tags: tuple[str, ...] = ()
    lead: str = ""
    keyed: bool = False
    bold_phrases: tuple[str, ...] = ()
    italic_phrases: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    def embedding_text(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading_path else self.text


def render_block(block: Block) -> str:
    if block.kind == "read_aloud":
        return f"Read aloud: {block.text}"
    return block.text


def sections_from_blocks(blocks: list[Block] | tuple[Block, ...]) -> list[Section]:
    """Walk blocks with a heading stack; a heading opened inside a box closes when the box ends."""
    stack: list[Block] = []
    sections: list[Section] = [Section((), None)]
    for block in blocks:
        if block.kind == "heading":
            if block.level == 0:                       # the document title
                continue
            if block.stat:
                while stack and stack[-1].stat:
                    stack.pop()
            else:
                while stack and stack[-1].level >= block.level:
                    stack.pop()
            stack.append(block)
            sections.append(Section(tuple(h.text for h in stack), block))
            continue
        if stack and not block.in_box and stack[-1].in_box and not stack[-1].keyed:
            while stack and stack[-1].in_box and not stack[-1].keyed:
                stack.pop()
            sections.append(Section(tuple(h.text for h in stack), None))
        sections[-1].blocks.append(block)
    return [s for s in sections if s.blocks]


def _first_sentence(text: str, limit: int = 300) -> str:
    head = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]
    return head if len(head) <= limit else head[:limit].rsplit(" ", 1)[0] + " …"


def _sentences_tail(text: str, limit: int = 220) -> str:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    tail = parts[-1] if parts else ""
    return tail if len(tail) <= limit else tail[-limit:]


def _person_heading(section: Section) -> bool:
    """A named heading right under a keyed area or a cast-list heading ("Appendix B: Townsfolk", "NPCs")
    whose text speaks of he/she: an NPC write-up."""
    h = section.heading
    if h is None or h.keyed or h.stat or len(section.path) < 2 or \
            not (KEYED_HEADING.match(section.path[-2]) or _CAST_HEADING.search(section.path[-2])):
        return False
    words = h.text.split()
    if not 2 <= len(words) <= 4 or not looks_like_name(h.text) or any(w.islower() for w in words):
        return False
    if PLOT_HEADING.search(h.text) or _RULES_HEADING.search(h.text) or \
            any(b.kind in ("table", "stat_block") for b in section.blocks):
        return False                  # "Village Rumours", "Mill Encounters", "General Features": not people
    body = " ".join(b.text for b in section.blocks)[:400]
    return _PRONOUN.search(body) is not None


def _kind(section: Section) -> str:
    h = section.heading
    if any(b.kind == "stat_block" for b in section.blocks) or (h is not None and h.stat):
        return "stat_block"
    if h is not None and h.keyed:
        return "location"
    tables = [b for b in section.blocks if b.kind == "table"]
    if tables and sum(len(b.text) for b in section.blocks if b.kind != "table") <= 300:
        return "table"             # a table, maybe under a one-line "Roll a d6 ..." lead-in
    if h is not None and not h.keyed and sum(1 for b in section.blocks if NPC_LABEL.match(b.lead)) >= 2:
        return "npc"
    if h is not None and _person_heading(section):
        return "npc"
    if section.path and PLOT_HEADING.search(section.path[-1]):
        return "plot"
    return "section"


def _sentence_blocks(block: Block) -> list[Block]:
    """A paragraph longer than MAX_CHARS → several pieces of about TARGET_CHARS, cut between sentences."""
    if len(block.text) <= MAX_CHARS or block.kind in ("stat_block", "table"):
        return [block]
    out, cur = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", block.text):
        if cur and len(cur) + len(sentence) > TARGET_CHARS:
            out.append(cur)
            cur = ""
        cur = f"{cur} {sentence}".strip()
    if cur:
        out.append(cur)
    return [replace(block, text=t, lead=block.lead if n == 0 else "") for n, t in enumerate(out)]


def _pieces(section: Section) -> list[list[Block]]:
    """Split a long section's blocks into runs of about TARGET_CHARS, preferring lead boundaries."""
    pieces: list[list[Block]] = [[]]
    size = 0
    for block in (piece for b in section.blocks for piece in _sentence_blocks(b)):
        n = len(block.text)
        if pieces[-1] and (size + n > MAX_CHARS or (size >= TARGET_CHARS * 0.6 and block.lead and size + n > TARGET_CHARS)):
            pieces.append([])
            size = 0
        pieces[-1].append(block)
        size += n
    return [p for p in pieces if p]


def _split_long_text(text: str) -> list[str]:
    if len(text) <= HARD_MAX_CHARS:
        return [text]
    out, cur = [], ""
    for part in re.split(r"(?<=[.!?\n])\s+", text):
        if cur and len(cur) + len(part) > MAX_CHARS:
            out.append(cur)
            cur = ""
        cur = f"{cur} {part}".strip()
    return out + ([cur] if cur else [])


def chunk_sections(sections: list[Section]) -> list[Chunk]:
    chunks: list[Chunk] = []

    def emit(path: tuple[str, ...], blocks: list[Block], kind: str, keyed: bool, lead: str = "",
             prefix: str = "") -> None:
        body = "\n\n".join(render_block(b) for b in blocks)
        for part in _split_long_text(body):
            head = path[-1] if path else ""
            text = "\n\n".join(x for x in (head if not lead else f"{head}: {lead}", prefix, part) if x)
            bold = tuple(dict.fromkeys(p for b in blocks for p in b.bold_phrases))
            italics = tuple(dict.fromkeys(p for b in blocks for p in b.italic_phrases))
            # one plot item is its own chunk: its label ends the heading path
            out_path = path + (lead,) if lead else path
            chunks.append(Chunk(len(chunks), out_path, text, blocks[0].page, blocks[-1].page, kind, (), lead, keyed,
                                bold, italics))

    for section in sections:
        kind = _kind(section)
        keyed = bool(section.heading is not None and section.heading.keyed)
        total = sum(len(b.text) for b in section.blocks)
        if kind == "plot" and sum(1 for b in section.blocks if b.lead and len(b.text) >= 100) >= 2:
            intro = [b for b in section.blocks if not b.lead]
            if intro:
                emit(section.path, intro, kind, keyed)
            for block in section.blocks:
                if block.lead:
                    emit(section.path, [block], kind, keyed, lead=block.lead)
            continue
        people: list[Block] = []
        if kind in ("section", "location"):
            people = [b for b in section.blocks if _npc_paragraph(b)]
            if people and total > MAX_CHARS:
                # the place's chunk keeps who is there (one sentence each); the full write-ups are their own chunks
                brief = [b if b not in people else replace(b, text=_first_sentence(b.text)) for b in section.blocks]
                section = Section(section.path, section.heading, brief)
                total = sum(len(b.text) for b in section.blocks)
        whole = [b for b in section.blocks if b.kind in ("stat_block", "table")]
        if not section.blocks:
            pass
        elif total <= MAX_CHARS or (len(whole) == len(section.blocks)):
            emit(section.path, section.blocks, kind, keyed)
        else:
            overlap = ""
            for piece in _pieces(section):
                emit(section.path, piece, kind, keyed, prefix=f"(…) {overlap}" if overlap else "")
                last = piece[-1]
                overlap = "" if last.kind in ("stat_block", "table") else _sentences_tail(last.text)
        for block in people:               # after their place's own chunk: one chunk per person
            emit(section.path + (npc_name(block),), [block], "npc", False)
    return _merge_tiny(chunks)


def _merge_tiny(chunks: list[Chunk]) -> list[Chunk]:
    """Fold a tiny plain section into the next chunk when that one is its child, else into the previous
    sibling. Keyed locations, NPCs, stat blocks, tables and plot items always stay whole."""
    out: list[Chunk] = []
    pending: Chunk | None = None
    for chunk in chunks:
        if pending is not None:
            if chunk.heading_path[:len(pending.heading_path)] == pending.heading_path and chunk.kind == "section":
                chunk = replace(chunk, text=f"{pending.text}\n\n{chunk.text}", page=pending.page,
                                bold_phrases=pending.bold_phrases + chunk.bold_phrases,
                                italic_phrases=pending.italic_phrases + chunk.italic_phrases)
            else:
                out.append(pending)
            pending = None
        body = len(chunk.text) - len(chunk.heading_path[-1] if chunk.heading_path else "")
        if chunk.kind == "section" and body < MIN_CHARS:
            if out and out[-1].kind == "section" and out[-1].heading_path[:-1] == chunk.heading_path[:-1] \
                    and out[-1].heading_path and chunk.heading_path and len(out[-1].text) + len(chunk.text) <= MAX_CHARS \
                    and out[-1].heading_path == chunk.heading_path:
                prev = out.pop()
                chunk = replace(prev, text=f"{prev.text}\n\n{chunk.text}", page_end=chunk.page_end,
                                bold_phrases=prev.bold_phrases + chunk.bold_phrases,
                                italic_phrases=prev.italic_phrases + chunk.italic_phrases)
            else:
                pending = chunk
                continue
        out.append(chunk)
    if pending is not None:
        out.append(pending)
    return [replace(c, index=i) for i, c in enumerate(out)]


def chunk_blocks(blocks: list[Block] | tuple[Block, ...]) -> list[Chunk]:
    """Blocks → chunks (untagged)."""
    return chunk_sections(sections_from_blocks(blocks))

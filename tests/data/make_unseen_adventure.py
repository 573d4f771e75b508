"""Render "The Millwright's Debt", an original test adventure, to PDF (deterministic, offline).

A held-out document for the campaign importer: its layout differs from the sample adventure the
way published modules differ from each other — Times body text, bold sans headings in colour,
three styles of keyed areas ("AREA 1 — THE TOLL BRIDGE", "B2. Flooded Cellar", "5) Sluice
Tunnel"), NPCs both in boxed sidebars with labelled paragraphs and in "Name (race role)"
paragraphs, read-aloud text in shaded boxes (italic in one part, upright in another), a random
encounter table, a stat block, a running header with the module title and chapter, page numbers
in alternating footer corners, ragged-right and justified body text, chapter banners across both
columns, drop caps, hyphenated line breaks, keyed sites written as bold run-in paragraphs ("R1.
Gallows Crossroads. Where ..."), an appendix of NPCs under plain name headings, two columns on
most pages and a full-width cover page. Rendering takes a few seconds; tests build it into a
temporary folder rather than keeping a binary in the repository.

    python tests/data/make_unseen_adventure.py OUT.pdf

`EXPECTED_LOCATIONS` and `EXPECTED_NPCS` are the world facts an importer should find.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pymupdf

__all__ = ["build", "TITLE", "EXPECTED_LOCATIONS", "EXPECTED_NPCS", "HEADER_TEXTS"]

TITLE = "The Millwright's Debt"
HEADER_TEXTS = ("THE MILLWRIGHT'S DEBT", "A Harrowdale Adventure")

# (key, heading as printed)
EXPECTED_LOCATIONS = (
    ("1", "AREA 1 — THE TOLL BRIDGE"),
    ("2", "AREA 2 — THE BARLEY SHEAF"),
    ("3", "AREA 3 — CHAPEL OF THE LONG HARVEST"),
    ("4", "AREA 4 — THE MAGISTRATE'S HOUSE"),
    ("B1", "B1. Millyard"),
    ("B2", "B2. Flooded Cellar"),
    ("B3", "B3. Grinding Floor"),
    ("B4", "B4. Sack Loft"),
    ("B5", "B5. Wheelhouse"),
    ("5", "5) Sluice Tunnel"),
    ("6", "6) Bone Granary"),
    ("7", "7) Shrine of the Hungry Saint"),
    ("8", "8) The Miller's Grave"),
    ("R1", "R1. Gallows Crossroads"),
    ("R2", "R2. Drowned Ford"),
    ("R3", "R3. Charcoal Burners' Camp"),
)
# NPCs with a write-up of their own (a sidebar, a bold-named paragraph, a "Name (race role)" or "Name, a
# race role," paragraph, a name heading in a cast list);
# Jory Fenwick is only ever mentioned, so he is not in this list
EXPECTED_NPCS = ("Maud Fenwick", "Tobin Reeve", "Hesper Quill", "Brother Anselm Rook", "Corvina Hale",
                 "Osric Dunmore", "Mag Tully", "Wat Sedge", "Sergeant Pell Harrow")

# ---------------------------------------------------------------- the text

BODY, BOLD, ITAL, SANS_B, BOLD_ITAL, SANS = "tiro", "tibo", "tiit", "hebo", "tibi", "helv"
_FONTS = {name: pymupdf.Font(name) for name in (BODY, BOLD, ITAL, SANS_B, BOLD_ITAL, SANS)}


def _length(text: str, font: str, size: float) -> float:
    return _FONTS[font].text_length(text, fontsize=size)
RED = (0.55, 0.1, 0.08)
BOX_FILL = (0.93, 0.89, 0.80)
SIDEBAR_FILL = (0.86, 0.90, 0.93)

COVER = [
    ("title", TITLE),
    ("sub", "A short adventure for four to five characters of 3rd level"),
    ("h1", "Adventure Background"),
    ("p", "Forty years ago the village of Harrowdale starved through a winter so cruel that the river froze to "
          "its bed. The millwright Osric Dunmore struck a bargain with a thing that called itself the Hungry "
          "Saint: grain that never ran out, in exchange for one tithe of bread baked from the mill's flour each "
          "harvest, carried down to a shrine beneath the millrace. The village lived, and Osric kept the bargain "
          "until the day he died."),
    ("p", "His heirs did not. The Fenwick family, who bought the mill for a song, thought the tithe a dead "
          "man's superstition. This autumn no bread went down to the shrine, and now the Hungry Saint collects "
          "in its own way. Flour from the mill turns grey and bitter, livestock wither in their stalls, and three "
          "villagers have walked into the river at night without a word. Last week young Jory Fenwick, the "
          "miller's son, vanished from his bed; only a trail of wet flour led toward the mill."),
    ("h1", "Adventure Hooks"),
    ("lead", "A Mother's Plea", "Maud Fenwick, the miller's widow, writes to every temple and guildhall within a "
                                "day's ride offering her late husband's silver ring to anyone who brings her son "
                                "home alive."),
    ("lead", "Spoiled Grain", "A merchant who bought a wagonload of Harrowdale flour hires the characters to "
                              "find out why every loaf baked from it screams faintly when broken."),
    ("lead", "The Magistrate's Writ", "Magistrate Corvina Hale quietly posts a bounty for 'the removal of a "
                                      "nuisance spirit' from the old mill, payable on proof."),
    ("h1", "Running the Adventure"),
    ("p", "The adventure has three parts. In Part 1 the characters reach Harrowdale, hear rumours and meet the "
          "villagers who know pieces of the truth. In Part 2 they explore the haunted mill, where the spirit of "
          "Osric Dunmore still grinds grain that is no longer there. In Part 3 they follow the millrace into the "
          "caves beneath, find the shrine, and either renew the old bargain, break it, or strike a new one. A "
          "party that rushes straight to the mill can still learn everything they need from the ghost, though he "
          "is far less forthcoming with strangers who have not spoken to his old friends in the village."),
    ("p", "Creatures marked in bold are described in the stat blocks of the core rules unless a stat block "
          "appears in this book. Read-aloud text appears in shaded boxes; paraphrase it freely."),
]

PART1 = [
    ("banner", "Part 1: Harrowdale"),
    ("drop", "Harrowdale is a village of sixty stone cottages strung along the east bank of the River Wend. Its "
          "fields are the colour of ash this year, and the people are thin and suspicious. The mill stands a "
          "quarter mile upstream, visible from everywhere in the village; no one will look at it for long."),
    ("lead", "Maud Fenwick", "The miller's widow lives in the last cottage before the mill road with her two "
                             "daughters. She is proud and sharp-tongued, and she blames herself for letting her "
                             "husband laugh off the old tithe before his fever took him. She will give the "
                             "characters Jory's nightshirt, still dusted with grey flour, and begs them to "
                             "search the mill before the magistrate's men burn it."),
    ("h2", "AREA 1 — THE TOLL BRIDGE"),
    ("box_i", "A humpbacked bridge of black stone crosses the river. A wooden hut leans against its far end, and "
              "a chain hung with tin cups blocks the way. The water beneath is thick and slow and smells of "
              "wet bread."),
    ("p", "Tobin Reeve (human toll keeper) is a nervous young man who charges a copper piece a head and two for "
          "a horse. He has not slept in days: he saw one of the drowned villagers walk past his hut and over the "
          "parapet, and could not make himself shout. He will waive the toll for anyone who promises to look "
          "into the mill, and he tells them that the bodies were never found downstream, which makes no sense "
          "given the current."),
    ("lead", "Development", "If the characters linger past dusk, they see pale handprints of flour appear on "
                            "the parapet, one after another, leading upstream toward the mill."),
    ("h2", "AREA 2 — THE BARLEY SHEAF"),
    ("box_i", "Smoke and the smell of thin stew fill this low-beamed tavern. A dozen farmers hunch over their "
              "cups. Behind the bar a tiny woman stands on an upturned crate so she can glare at everyone."),
    ("p", "Hesper Quill (halfling innkeeper) has run the Barley Sheaf for thirty years and remembers Osric "
          "Dunmore as a kind, frightened man who paid for every round the winter after the famine. She knows he "
          "carried a basket of bread upriver every harvest night, alone, and that he made her promise never to "
          "follow. She charges 5 sp a night for a room and gives the characters the village rumours for free if "
          "they are polite to her staff."),
    ("h3", "Village Rumours"),
    ("p", "Roll a d6 or choose when the characters talk to the locals."),
    ("table", [("d6", "Rumour"),
               ("1", "The Fenwicks stopped the harvest tithe. (True)"),
               ("2", "The magistrate wants the mill burned down. (Partly true)"),
               ("3", "Wolves took the missing farmers. (False)"),
               ("4", "Old Osric is buried under his own millstone. (True)"),
               ("5", "The chapel bell rings by itself at midnight. (True)"),
               ("6", "There is gold hidden in the sack loft. (False)")]),
    ("h2", "AREA 3 — CHAPEL OF THE LONG HARVEST"),
    ("p", "A squat chapel with a sagging thatched roof stands at the centre of the village green. Its bell has "
          "rung on its own at midnight every night since the tithe was missed."),
    ("p", "Brother Anselm Rook (human priest) tends the chapel. He is old, half blind, and was a novice when "
          "the bargain was made; he heard Osric's confession and has kept it for forty years. He tells the "
          "characters the truth only if they convince him that someone's life depends on it: that the Hungry "
          "Saint is no saint at all but something older that lives beneath the mill, that it keeps what it takes "
          "alive for a time, and that a tithe of bread blessed at this altar is what it was promised. He gives "
          "the characters a blessed loaf if they ask, and a vial of holy water."),
    ("lead", "Treasure", "The alms box holds 14 gp in mixed coin. Stealing it angers every villager who hears "
                         "of it."),
    ("sidebar", "Corvina Hale", [
        ("lead", "Role", "Magistrate of Harrowdale, a human woman in her fifties who owns most of the land on "
                         "the east bank."),
        ("lead", "Personality", "Brisk, practical, contemptuous of superstition in public and terrified of it "
                                "in private."),
        ("lead", "Secret", "Her father helped Osric strike the bargain and took a share of the endless grain. "
                           "She wants the mill burned with everything in it so nobody ever learns where the "
                           "family fortune came from."),
        ("lead", "Stats", "Use the noble stat block."),
    ]),
    ("h2", "AREA 4 — THE MAGISTRATE'S HOUSE"),
    ("p", "The only house in Harrowdale with glass windows sits behind a high hedge at the north end of the "
          "village. Two bored guards watch the gate. Corvina Hale receives visitors in a cold parlour and offers "
          "them 100 gp to destroy the mill, payable when it is ash. If pressed about her father she ends the "
          "interview. A locked desk in her study (DC 15 to pick) holds her father's ledger, which records forty "
          "years of sacks of grain sold in distant towns and a sketch map of the millrace caves."),
    ("p", "Sergeant Pell Harrow, a grizzled human veteran, commands the magistrate's four guards. He is loyal "
          "to the Hale family's coin rather than to Corvina herself, and for 20 gp he will look the other way "
          "while the characters search the study. He has seen the ledger and thinks it proves nothing worse "
          "than clever trading."),
]

PART2 = [
    ("banner", "Part 2: The Mill"),
    ("drop", "The mill is a three-storey building of timber on a stone footing, with a great undershot waterwheel "
          "on its river side. The wheel still turns although the sluice gate has been closed for a month. Inside, "
          "the ghost of Osric Dunmore relives the grinding of the last harvest, and the spoiled flour has woken "
          "into grist haunts."),
    ("h3", "The Mill at a Glance"),
    ("lead", "B3. Grinding Floor", "Where the ghost works."),
    ("lead", "B5. Wheelhouse", "Where the drowned are bound."),
    ("h3", "General Features"),
    ("lead", "Light", "There is no light inside except what the characters bring. Grey flour dust hangs in the "
                      "air and halves the range of any light source."),
    ("lead", "Sound", "The wheel creaks constantly. Characters have disadvantage on Wisdom (Perception) checks "
                      "that rely on hearing anywhere in the mill."),
    ("h2", "B1. Millyard"),
    ("box", "A muddy yard opens before the mill door. Empty carts lie on their sides, their shafts pointing at "
            "the sky. Everything is filmed with grey dust, and the dust is full of small bare footprints."),
    ("p", "The footprints belong to Jory Fenwick, who was led through here a week ago. A character who succeeds "
          "on a DC 12 Wisdom (Survival) check sees that they go in through the main door but never come out. Two "
          "grist haunts lie buried in the flour drifts against the wall and rise when anyone reaches the door."),
    ("h2", "B2. Flooded Cellar"),
    ("box", "Stone steps go down into black water that stands knee deep. Sacks float against the walls like "
            "drowned men. Something has scratched a circle of words into the ceiling."),
    ("p", "The words are a prayer in Old Common asking the Saint to accept the tithe. A trapdoor under the water "
          "in the north corner opens onto the millrace and the Sluice Tunnel (area 5); finding it by touch takes "
          "a DC 13 Wisdom (Perception) check. The water is freezing: a creature that ends its turn submerged "
          "takes 3 (1d6) cold damage."),
    ("h2", "B3. Grinding Floor"),
    ("box", "Two millstones the size of cart wheels turn with a dry roar, grinding nothing. A stooped, "
            "translucent figure in a flour-white apron walks slowly around them, pouring grain from an empty "
            "sack."),
    ("p", "Osric Dunmore (human ghost) does not notice the characters unless they interrupt his work or speak "
          "his name. He believes it is still the harvest forty years ago and that he is late with the tithe. If "
          "the characters mention Hesper Quill or Brother Anselm Rook he listens, weeps, and tells them where "
          "the shrine is and what the Saint wants. If they attack him he fights as a ghost but flees through "
          "the floor after losing half his hit points."),
    ("lead", "Treasure", "Osric's tithe basket hangs on a peg. Any bread placed in it becomes the proper "
                         "offering for the shrine."),
    ("h2", "B4. Sack Loft"),
    ("p", "The top floor is a maze of stacked sacks, all holding grey, bitter flour. A hoist beam juts out over "
          "the yard. Anyone rummaging through the sacks for more than a minute disturbs a grist haunt, which "
          "bursts out of the flour and attacks with surprise. Among the sacks lies Jory's wooden horse, which "
          "Maud Fenwick recognises at once."),
    ("h2", "B5. Wheelhouse"),
    ("p", "A narrow room houses the axle of the great wheel. The axle is wet and turns without water, and the "
          "ropes of drowned villagers are wound around it. A character who examines them finds a name scratched "
          "on each rope's knot. A ladder descends from here to the Flooded Cellar."),
    ("h3", "Mill Encounters"),
    ("p", "Every 10 minutes the characters spend in the mill, roll a d8."),
    ("table", [("d8", "Encounter"),
               ("1", "1d4 grist haunts rise from a flour drift"),
               ("2", "A swarm of rats pours out of the walls"),
               ("3", "The ghost of a drowned farmer asks for her shoes"),
               ("4", "The millstones stop; total silence for one minute"),
               ("5", "Flour spells a name on the floor"),
               ("6", "A hoist rope swings down with a noose"),
               ("7", "Jory's voice calls from below the floor"),
               ("8", "Nothing happens, but the wheel turns backwards")]),
    ("stat", "Grist Haunt", [
        ("i", "Medium undead, neutral evil"),
        ("kv", "Armor Class", "12"),
        ("kv", "Hit Points", "22 (4d8 + 4)"),
        ("kv", "Speed", "30 ft."),
        ("abil", ("STR", "DEX", "CON", "INT", "WIS", "CHA"),
                 ("14 (+2)", "14 (+2)", "12 (+1)", "3 (-4)", "10 (+0)", "5 (-3)")),
        ("kv", "Damage Immunities", "poison"),
        ("kv", "Senses", "darkvision 60 ft., passive Perception 10"),
        ("kv", "Challenge", "1/2 (100 XP)"),
        ("trait", "Choking Cloud", "When the haunt dies it bursts into flour. Each creature within 5 feet must "
                                   "succeed on a DC 11 Constitution saving throw or be blinded until the end of its "
                                   "next turn."),
        ("sec", "Actions"),
        ("trait", "Slam", "Melee Weapon Attack: +4 to hit, reach 5 ft., one target. Hit: 6 (1d8 + 2) "
                          "bludgeoning damage."),
    ]),
]

PART3 = [
    ("banner", "Part 3: Beneath the Millrace"),
    ("drop", "The millrace runs under the mill's stone footing into a cave system cut by the river long before "
          "anyone built here. The walls sweat and the air is warm and smells of yeast."),
    ("h2", "5) Sluice Tunnel"),
    ("box_i", "The channel narrows to a tunnel barely wide enough for one person. Cold water rushes past your "
              "knees, and the roar of the wheel fades behind you."),
    ("p", "The current is strong. Each character must succeed on a DC 10 Strength (Athletics) check or be "
          "knocked prone and carried 20 feet downstream into the Bone Granary (area 6), taking 2 (1d4) "
          "bludgeoning damage. Tied characters help each other and succeed automatically."),
    ("h2", "6) Bone Granary"),
    ("p", "A round cave is heaped waist-deep with small bones and ears of grain turned to stone. Among the "
          "heaps sit the three drowned villagers, alive but stiff and staring, their skin dusted with flour. "
          "Removing them from the cave before the bargain is resolved kills them; a DC 14 Wisdom (Medicine) check "
          "reveals that something is feeding on them slowly. Jory Fenwick is not here."),
    ("h2", "7) Shrine of the Hungry Saint"),
    ("box_i", "Steps carved from the living rock climb to an altar shaped like an open mouth. On it sits a "
              "small boy, perfectly still, with a mouldy loaf in his lap. Behind him the darkness breathes."),
    ("p", "Jory Fenwick sits on the altar, held in a magical sleep. The Hungry Saint speaks from the dark in "
          "the voice of whoever the listener loved most. It will release the boy and the villagers if the tithe "
          "is paid: bread baked from the mill's flour, blessed in the chapel, carried in Osric's basket. It "
          "offers a new bargain to any character who asks: endless luck for a tithe of one memory a year."),
    ("lead", "Breaking the Bargain", "The Saint has no body to fight. Smashing the altar (AC 17, 40 hit points, "
                                     "immune to all damage but bludgeoning) ends the bargain forever: the "
                                     "villagers and Jory wake, the mill's grain turns to dust, and Harrowdale "
                                     "faces a poor winter but a free one."),
    ("h2", "8) The Miller's Grave"),
    ("p", "A side passage ends at a slab marked only with a carved millstone. Osric Dunmore asked to be buried "
          "here, close to his debt. If the bargain is broken or renewed, his ghost appears over the grave, thanks "
          "the characters, and finally rests. Beneath the slab lies his silver ring and a purse of 60 gp he set "
          "aside for whoever freed him."),
    ("h1", "Conclusion"),
    ("p", "If Jory comes home, Maud Fenwick pays the characters as promised and the village holds a thin, "
          "grateful feast. If the characters expose Corvina Hale's ledger, the villagers turn on her and she flees "
          "Harrowdale by night; she may return as an enemy in a later adventure. If a character took the Saint's "
          "new bargain, the bell of the chapel rings once each year on the night their tithe falls due."),
]

APPENDIX = [
    ("h1", "Appendix A: The Wend Road"),
    ("p", "The road to Harrowdale follows the river through a day of wet woodland. Use these sites if the "
          "characters travel there on foot or stop along the way; each is keyed to the road map."),
    ("lead", "R1. Gallows Crossroads", "Where the village lane meets the king's road stands an old gibbet. An "
                                        "iron cage hangs from it, stuffed with straw and dressed in a miller's "
                                        "smock, and crows refuse to land anywhere near it. Anyone who opens the "
                                        "cage finds a wax tablet inside listing the names of the three drowned "
                                        "villagers, written in the same hand as the words in the Flooded Cellar."),
    ("lead", "R2. Drowned Ford", "The shallow crossing is knee deep and slippery. Halfway over, pale hands "
                                  "reach up through the silt; they belong to nothing and cannot be hurt, but a "
                                  "character who fails a DC 12 Dexterity saving throw is pulled under and must "
                                  "spend an action to break free. Crossing the toll bridge instead avoids the "
                                  "ford entirely."),
    ("lead", "R3. Charcoal Burners' Camp", "Four soot-blackened woodcutters tend smoking earth kilns in a "
                                            "clearing. They are friendly, share their supper and warn travellers "
                                            "that the river has been 'hungry' since the autumn. For 2 gp they "
                                            "will guide the party to Harrowdale by a dry path."),
    ("h1", "Appendix B: Harrowdale Folk"),
    ("p", "Two more villagers may help or hinder the characters."),
    ("h2", "Mag Tully"),
    ("p", "The village herbwife is a stooped old woman with a voice like a crow. She has been treating the "
          "withering sickness in the livestock with poultices that do nothing, and she knows it. If the "
          "characters bring her a handful of the grey flour, she burns it and reads the smoke: she tells them "
          "the sickness will lift only when the debt is settled, one way or another."),
    ("h2", "Wat Sedge"),
    ("p", "The sluice-keeper is a big, slow man who closed the millrace gate a month ago on the magistrate's "
          "orders, hoping to stop the wheel. It did not stop, and he has not been able to sleep since. He "
          "carries the only key to the gate and will open it for the characters if they tell him why."),
]


# ---------------------------------------------------------------- a small flow layout

W, H = 612.0, 792.0
MARGIN_X, TOP, BOTTOM = 60.0, 70.0, 730.0
GUTTER = 22.0
BODY_SIZE, LEADING = 10.5, 13.4


_EMBEDDED: dict[int, set[str]] = {}      # page number → font aliases already on it (reset per build)


def _put(page: pymupdf.Page, pos: tuple[float, float], text: str, fontname: str, fontsize: float,
         color=(0, 0, 0)) -> None:
    """Text in an embedded copy of a base-14 font (Unicode: em dashes and curly quotes survive)."""
    alias = "U" + fontname
    done = _EMBEDDED.setdefault(page.number, set())
    if alias not in done:
        page.insert_font(fontname=alias, fontbuffer=_FONTS[fontname].buffer)
        done.add(alias)
    page.insert_text(pos, text, fontname=alias, fontsize=fontsize, color=color)


@dataclass
class _Frame:
    x0: float
    x1: float
    y: float


class _Writer:
    def __init__(self) -> None:
        self.doc = pymupdf.open()
        self.page: pymupdf.Page | None = None
        self.chapter = ""
        self.columns = 2
        self.col = 0
        self.frame = _Frame(0, 0, 0)
        self.band_top = 0.0               # where the columns start on this page (below a banner)
        self.justify = False              # body paragraphs set justified (Part 2 onwards)

    # pages and columns
    def new_page(self, columns: int) -> None:
        self.page = self.doc.new_page(width=W, height=H)
        self.columns = columns
        self.col = 0
        self.band_top = 0.0
        number = self.doc.page_count
        if number > 1:
            self._furniture(number)
        self._set_frame()

    def _furniture(self, number: int) -> None:
        page = self.page
        _put(page, (MARGIN_X, 38), HEADER_TEXTS[0], fontname=SANS_B, fontsize=8, color=RED)
        right = self.chapter or HEADER_TEXTS[1]
        _put(page, (W - MARGIN_X - _length(right, SANS, 8), 38), right, fontname=SANS,
                         fontsize=8)
        page.draw_line((MARGIN_X, 43), (W - MARGIN_X, 43), color=RED, width=0.6)
        label = str(number)
        x = W - MARGIN_X - _length(label, SANS_B, 9) if number % 2 else MARGIN_X
        _put(page, (x, 766), label, fontname=SANS_B, fontsize=9)
        _put(page, (W / 2 - 60, 766), "Harrowdale Press", fontname=SANS, fontsize=7, color=(0.4, 0.4, 0.4))

    def _set_frame(self) -> None:
        top = max(TOP if self.doc.page_count > 1 else 54, self.band_top)
        if self.columns == 1:
            self.frame = _Frame(MARGIN_X, W - MARGIN_X, top)
        else:
            width = (W - 2 * MARGIN_X - GUTTER) / 2
            x0 = MARGIN_X + self.col * (width + GUTTER)
            self.frame = _Frame(x0, x0 + width, top)

    def need(self, height: float) -> None:
        if self.frame.y + height <= BOTTOM:
            return
        if self.columns == 2 and self.col == 0:
            self.col = 1
            self._set_frame()
        else:
            self.new_page(self.columns)

    # text
    @staticmethod
    def _wrap(runs: list[tuple[str, str]], size: float, width: float, hyphenate: bool = False,
              first_indent: float = 0.0, indent_lines: int = 0) -> list[list[tuple[str, str]]]:
        """Greedy line filling; long words that do not fit are hyphenated (as typesetters do) when asked."""
        words = [(w, font) for text, font in runs for w in text.split()]
        lines: list[list[tuple[str, str]]] = [[]]
        used = 0.0

        def room() -> float:
            return width - (first_indent if len(lines) <= indent_lines else 0.0)

        while words:
            word, font = words.pop(0)
            if lines[-1] and used + _length(word, font, size) > room():
                half = len(word) // 2
                head = word[:half] + "-"
                if hyphenate and len(word) >= 9 and word.isalpha() and used + _length(head, font, size) <= room():
                    lines[-1].append((head, font))
                    words.insert(0, (word[half:], font))
                lines.append([])
                used = 0.0
                if words and words[0][0] == word[half:] and hyphenate and len(word) >= 9 and word.isalpha() \
                        and lines[-2][-1][0] == head:
                    continue
            lines[-1].append((word, font))
            used += _length(word + " ", font, size)
        return lines

    def _draw(self, lines: list[list[tuple[str, str]]], size: float, x0: float, color=(0, 0, 0),
              indent: float = 0.0, indent_lines: int = 1, right: float = -1.0) -> None:
        """Lines set flush left, or justified to `right` (every line but a paragraph's last)."""
        for n, line in enumerate(lines):
            self.need(LEADING)
            x = (self.frame.x0 if x0 < 0 else x0) + (indent if n < indent_lines else 0)
            y = self.frame.y + size
            extra = 0.0
            if right > 0 and n < len(lines) - 1 and len(line) > 1:
                natural = sum(_length(w, f, size) for w, f in line) + _length(" ", BODY, size) * (len(line) - 1)
                extra = max(0.0, (right - x - natural) / (len(line) - 1))
            for word, font in line:
                _put(self.page, (x, y), word, fontname=font, fontsize=size, color=color)
                x += _length(word, font, size) + _length(" ", BODY, size) + extra
            self.frame.y += LEADING * size / BODY_SIZE

    def paragraph(self, runs: list[tuple[str, str]], size: float = BODY_SIZE, gap: float = 5.0) -> None:
        lines = self._wrap(runs, size, self.frame.x1 - self.frame.x0, hyphenate=size == BODY_SIZE)
        self.need(2 * LEADING)
        self._draw(lines, size, -1, right=self.frame.x1 if self.justify and size == BODY_SIZE else -1.0)
        self.frame.y += gap

    def drop_cap(self, text: str) -> None:
        """A paragraph opening with a three-line initial in a display face."""
        cap, rest = text[0], text[1:]
        big = 3 * LEADING + 4
        indent = _length(cap, SANS_B, big) + 4
        self.need(4 * LEADING)
        _put(self.page, (self.frame.x0, self.frame.y + 2.5 * LEADING + 4), cap, fontname=SANS_B, fontsize=big,
             color=RED)
        # the rest of the first word hugs the initial: "H" + "arrowdale is ..."
        lines = self._wrap([(rest, BODY)], BODY_SIZE, self.frame.x1 - self.frame.x0, hyphenate=True,
                           first_indent=indent, indent_lines=3)
        self._draw(lines, BODY_SIZE, -1, indent=indent, indent_lines=3)
        self.frame.y += 5

    def banner(self, text: str) -> None:
        """A chapter title centred across both columns at the top of a page, over a rule."""
        size = 20
        y = max(self.frame.y, TOP)
        _put(self.page, ((W - _length(text, SANS_B, size)) / 2, y + size), text, fontname=SANS_B, fontsize=size,
             color=RED)
        self.page.draw_line((MARGIN_X, y + size + 8), (W - MARGIN_X, y + size + 8), color=RED, width=1.2)
        self.band_top = y + size + 18
        self.col = 0
        self._set_frame()

    def heading(self, text: str, font: str, size: float, color=(0, 0, 0), before: float = 8.0) -> None:
        lines = self._wrap([(text, font)], size, self.frame.x1 - self.frame.x0)
        self.need(before + len(lines) * size * 1.3 + 3 * LEADING)
        self.frame.y += before
        for line in lines:
            _put(self.page, (self.frame.x0, self.frame.y + size), " ".join(w for w, _ in line),
                                  fontname=font, fontsize=size, color=color)
            self.frame.y += size * 1.3
        self.frame.y += 3

    def box(self, paragraphs: list[list[tuple[str, str]]], fill, title: str = "") -> None:
        pad = 7.0
        width = self.frame.x1 - self.frame.x0 - 2 * pad
        wrapped = [self._wrap(p, BODY_SIZE, width) for p in paragraphs]
        height = 2 * pad + sum(len(p) * LEADING + 4 for p in wrapped) + (18 if title else 0)
        self.need(height + 6)
        rect = pymupdf.Rect(self.frame.x0, self.frame.y, self.frame.x1, self.frame.y + height)
        self.page.draw_rect(rect, color=None, fill=fill)
        self.frame.y += pad
        if title:
            _put(self.page, (self.frame.x0 + pad, self.frame.y + 11), title, fontname=SANS_B, fontsize=11,
                                  color=RED)
            self.frame.y += 18
        for lines in wrapped:
            self._draw(lines, BODY_SIZE, self.frame.x0 + pad)
            self.frame.y += 4
        self.frame.y = rect.y1 + 8

    def table(self, rows: list[tuple[str, str]]) -> None:
        self.need(LEADING * (len(rows) + 1))
        x0, x1 = self.frame.x0, self.frame.x0 + 28
        for n, (a, b) in enumerate(rows):
            font = BOLD if n == 0 else BODY
            lines = self._wrap([(b, font)], 9, self.frame.x1 - x1)
            self.need(LEADING * len(lines))
            y = self.frame.y + 9
            _put(self.page, (x0 + 4, y), a, fontname=font, fontsize=9)
            for k, line in enumerate(lines):
                _put(self.page, (x1, y + k * 11.5), " ".join(w for w, _ in line), fontname=font, fontsize=9)
            self.frame.y += 11.5 * len(lines) + 1.5
        self.frame.y += 6

    def stat_block(self, name: str, entries: list[tuple]) -> None:
        pad, size, lead = 6.0, 9.0, 11.2
        width = self.frame.x1 - self.frame.x0 - 2 * pad
        plan: list[tuple[str, object]] = []
        for entry in entries:
            if entry[0] == "i":
                plan.append(("runs", [[(w, ITAL) for w in entry[1].split()]]))
            elif entry[0] == "kv":
                plan.append(("runs", self._wrap([(entry[1], BOLD), (entry[2], BODY)], size, width)))
            elif entry[0] == "abil":
                plan.append(("abil", entry))
            elif entry[0] == "sec":
                plan.append(("sec", entry[1]))
            else:
                plan.append(("runs", self._wrap([(entry[1] + ".", BOLD_ITAL), (entry[2], BODY)], size, width)))
        height = 2 * pad + 16 + sum(len(p) * lead if k == "runs" else 2 * lead if k == "abil" else 16
                                    for k, p in plan)
        self.need(height + 6)
        rect = pymupdf.Rect(self.frame.x0, self.frame.y, self.frame.x1, self.frame.y + height)
        self.page.draw_rect(rect, color=RED, fill=(0.97, 0.94, 0.86), width=0.8)
        x = self.frame.x0 + pad
        self.frame.y += pad
        _put(self.page, (x, self.frame.y + 12), name, fontname=SANS_B, fontsize=12, color=RED)
        self.frame.y += 16
        for kind, item in plan:
            if kind == "runs":
                for line in item:
                    px = x
                    for word, font in line:
                        _put(self.page, (px, self.frame.y + size), word, fontname=font, fontsize=size)
                        px += _length(word + " ", font, size)
                    self.frame.y += lead
            elif kind == "abil":
                step = width / 6
                for row, font in ((item[1], BOLD), (item[2], BODY)):
                    for k, cell in enumerate(row):
                        _put(self.page, (x + k * step, self.frame.y + size), cell, fontname=font, fontsize=8)
                    self.frame.y += lead
            else:
                _put(self.page, (x, self.frame.y + 11), item, fontname=SANS_B, fontsize=10, color=RED)
                self.frame.y += 16
        self.frame.y = rect.y1 + 8

    # elements
    def render(self, elements: list[tuple]) -> None:
        for el in elements:
            kind = el[0]
            if kind == "title":
                self.heading(el[1], SANS_B, 28, RED, before=0)
            elif kind == "sub":
                self.paragraph([(el[1], ITAL)], size=12, gap=14)
            elif kind == "h1":
                self.heading(el[1], SANS_B, 16, RED, before=10)
            elif kind == "h2":
                self.heading(el[1], SANS_B, 11.5, (0.1, 0.1, 0.1))
            elif kind == "h3":
                self.heading(el[1], SANS_B, 10.5, RED, before=4)
            elif kind == "p":
                self.paragraph([(el[1], BODY)])
            elif kind == "drop":
                self.drop_cap(el[1])
            elif kind == "banner":
                self.banner(el[1])
            elif kind == "lead":
                self.paragraph([(el[1] + ".", BOLD), (el[2], BODY)])
            elif kind == "box_i":
                self.box([[(el[1], ITAL)]], BOX_FILL)
            elif kind == "box":
                self.box([[(el[1], BODY)]], BOX_FILL)
            elif kind == "sidebar":
                self.box([[(label + ".", BOLD), (text, BODY)] for _, label, text in el[2]], SIDEBAR_FILL, el[1])
            elif kind == "table":
                self.table(el[1])
            elif kind == "stat":
                self.stat_block(el[1], el[2])


def build(path: str | Path) -> Path:
    """Write the adventure PDF to `path` (same bytes for the same pymupdf version) and return the path."""
    path = Path(path)
    _EMBEDDED.clear()
    w = _Writer()
    w.new_page(1)                                # the cover: full width
    w.render(COVER)
    for chapter, part in (("Part 1: Harrowdale", PART1), ("Part 2: The Mill", PART2),
                          ("Part 3: Beneath the Millrace", PART3), ("Appendices", APPENDIX)):
        w.chapter = chapter
        w.justify = chapter != "Part 1: Harrowdale"
        w.new_page(2)
        w.render(part)
    w.doc.set_metadata({"title": "", "author": "Lorekeeper tests", "creationDate": "D:20260101000000Z",
                        "modDate": "D:20260101000000Z", "producer": "pymupdf"})
    w.doc.subset_fonts()
    w.doc.save(path, garbage=3, deflate=True, no_new_id=True)
    return path


if __name__ == "__main__":
    out = build(sys.argv[1] if len(sys.argv) > 1 else "the-millwrights-debt.pdf")
    print(out)

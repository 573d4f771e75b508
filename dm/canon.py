"""The canon ledger and the contradiction check (pure: no I/O).

Canon is what the story has established, as rows `(subject, predicate, object)`::

    ("Goblin", "status", "dead")                 ("Captain Morrow", "name", "npc")
    ("Captain Morrow", "is_at", "the Salt Docks") ("Longsword", "held_by", "Brakka")
    ("the party", "is_at", "Saltmere")            ("Captain Morrow", "promised", "50 gp for the goblin ears")

`state_facts(state)` derives them from the GameState every turn (who is alive or dead, names, the
party's place, who carries what); stored rows (`persistence.canon`) keep what the state does not hold
(where an NPC was met, promises and debts, an item's whereabouts, the dead who left the state);
`ledger` merges the two, the state winning. `established` lists the facts a settled turn adds.

`check(narrative, facts)` finds contradictions, conservatively — a false positive costs a repair pass:

- the dead stay dead: a dead one's name directly followed by a present-tense action ("the goblin
  snarls", "Morrow says") or in a speech tag ("says Morrow"), unless the sentence speaks of memories,
  corpses, ghosts and the like, or someone living bears the same name;
- names as stored: capitalised words that are a near miss of a known name (rapidfuzz ratio ≥ 85, same
  initial, not a plural or possessive) — `fix_spelling` puts the stored spelling back without a model;
- NPCs where they are: an NPC known to be elsewhere greeting, handing or speaking to "you" here (an
  arrival — "Morrow strides in" — is no contradiction: it moves them);
- items' whereabouts: "Mira's longsword" or "Mira draws her longsword" while Brakka carries it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from game.effects import CombatJoin, CombatStart, Effect, GameState, NpcIntroduce
from persistence.interfaces import CanonFact

__all__ = [
    "Contradiction", "Fact", "NOTE_PREDICATES", "PARTY", "arrivals", "canon_refusals", "check", "established",
    "fix_spelling", "ledger", "ledger_lines", "state_facts",
]  # fmt: skip

Fact = CanonFact
PARTY = "the party"
NOTE_PREDICATES = ("is_at", "held_by", "promised", "owes")  # what a reply's `canon` notes may establish
SPELLING_RATIO = 85
_SHORT_NAME = 6  # shorter names are not checked: "Moira" is too near "Mira" to be anything but someone else
_NEW_NAME_RATIO = 90  # a new NPC this close to a known name is taken for a misspelling of it

_TITLES = {"captain", "lord", "lady", "sir", "dame", "master", "mistress", "old", "young", "king", "queen",
           "prince", "princess", "brother", "sister", "father", "mother", "elder", "the", "of"}  # fmt: skip
_ADVERB = r"(?:(?:\w+ly|then|suddenly|still|again|slowly|quietly|now)\s+)?"
_ACTS = (
    "says asks speaks shouts whispers replies answers mutters growls snarls hisses screams yells laughs cries "
    "calls begs pleads cackles chuckles sighs grunts roars barks murmurs sneers attacks strikes swings lunges "
    "charges stabs slashes bites claws shoots fires casts grabs hurls throws kicks punches parries dodges "
    "leaps jumps runs walks steps flees advances arrives enters appears returns approaches rises climbs "
    "smiles grins nods waves points stares glares reaches raises draws "
    "greets hands offers gives tells beckons winks leans sits stands waits watches pours slides shrugs frowns"
).split()
_SPEECH = "says said asks asked whispers shouts replies growls snarls hisses mutters calls cries laughs".split()
_ARRIVE = ("arrives enters appears returns joins rides strides walks\\s+in steps\\s+in comes catches\\s+up "
           "bursts\\s+in hurries\\s+in follows accompanies goes\\s+with travels\\s+with").split()  # fmt: skip
_PRESENT = ("greets hands offers gives tells asks says whispers waves beckons smiles nods grins winks leans sits "
            "stands waits watches pours slides is").split()  # fmt: skip
_WIELD = "draws wields holds raises brandishes drinks reads unsheathes swings fires uses".split()
_NOT_ALIVE = set(
    "remember remembers remembered recall recalls memory memories dream dreams vision visions ghost ghostly spirit "
    "corpse body remains echo echoes once illusion image statue portrait painting story tale legend undead zombie "
    "skeleton risen dead lifeless carcass".split()
)  # fmt: skip
_ELSEWHERE = set(
    "meanwhile elsewhere far away back letter message note sending dream vision remember remembers recall "
    "recalls memory news word rumor rumour earlier yesterday ago once had spirit image illusion".split()
)  # fmt: skip
_CAPITALISED = re.compile(r"[A-Z][A-Za-z]+(?:-[A-Za-z]+)*")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_CLAUSE_END = re.compile(r"[,.;:!?\n]")
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Contradiction:
    """A sentence of the narrative that contradicts canon. `fix` is the stored spelling (kind "spelling")."""

    kind: str  # "dead" | "spelling" | "whereabouts" | "item"
    subject: str
    text: str  # the words in the narrative
    reason: str  # a plain sentence, for the repair request and the turn record
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "subject": self.subject, "text": self.text, "reason": self.reason}
        return out | ({"fix": self.fix} if self.fix else {})


# --- the ledger ------------------------------------------------------------------------------------


def state_facts(state: GameState) -> list[Fact]:
    """The facts the game state holds right now (source "state")."""
    out: list[Fact] = []
    for character in state.characters.values():
        out += [Fact(character.name, "name", "character", "state"),
                Fact(character.name, "status", "dead" if character.dead else "alive", "state")]  # fmt: skip
        out += [Fact(item.name, "held_by", character.name, "state") for item in character.inventory.items]
    for creature in state.creatures.values():
        out += [Fact(creature.name, "name", "creature", "state"),
                Fact(creature.name, "status", "dead" if creature.dead else "alive", "state")]  # fmt: skip
    for npc in state.npcs.values():
        out += [Fact(npc.name, "name", "npc", "state"),
                Fact(npc.name, "status", "alive" if npc.alive else "dead", "state")]  # fmt: skip
    for place in dict.fromkeys([*state.known_locations, *([state.location] if state.location else [])]):
        out.append(Fact(place, "name", "location", "state"))
    if state.location:
        out.append(Fact(PARTY, "is_at", state.location, "state"))
    return out


def ledger(state: GameState, stored: Iterable[Fact] = ()) -> list[Fact]:
    """The state's facts, then the stored ones the state does not settle (the state wins a disagreement)."""
    derived = state_facts(state)
    settled = {(f.subject.lower(), f.predicate) for f in derived}
    return derived + [f for f in stored if (f.subject.lower(), f.predicate) not in settled]


def established(before: GameState, after: GameState, *, narrative: str = "",
                notes: Iterable[Any] = ()) -> list[Fact]:  # fmt: skip
    """What a settled turn adds to the stored canon: deaths, NPCs met (and where), NPCs who arrived in the
    posted `narrative`, and the reply's own `notes` (objects with subject/predicate/object; only
    `NOTE_PREDICATES` are kept — deaths and names come from the engine)."""
    out: list[Fact] = []
    for key, who in [*after.characters.items(), *after.creatures.items()]:
        old = before.characters.get(key) or before.creatures.get(key)
        if who.dead and (old is None or not old.dead):
            out.append(Fact(who.name, "status", "dead"))
    for key, npc in after.npcs.items():
        old_npc = before.npcs.get(key)
        if not npc.alive and (old_npc is None or old_npc.alive):
            out.append(Fact(npc.name, "status", "dead"))
        if old_npc is None:
            out.append(Fact(npc.name, "name", "npc"))
            if after.location:
                out.append(Fact(npc.name, "is_at", after.location))
    if after.location and narrative:
        out += [Fact(name, "is_at", after.location) for name in arrivals(narrative, ledger(after))]
    for note in notes:
        subject, predicate, obj = (str(getattr(note, k, "") or "").strip() for k in ("subject", "predicate", "object"))
        if subject and obj and predicate in NOTE_PREDICATES and subject.lower() != PARTY:
            out.append(Fact(subject, predicate, obj))
    return out


def ledger_lines(facts: Sequence[Fact], limit: int = 20) -> list[str]:
    """Short lines for a prompt ("Goblin: dead", "Captain Morrow: is at the Salt Docks"), the notable ones first;
    not what the prompt's state already shows (the living, the party's place, the characters' packs)."""
    order = {"status": 0, "is_at": 1, "promised": 2, "owes": 3, "held_by": 4}
    notable = [f for f in facts if f.predicate in order and f.subject != PARTY and f.object != "alive"
               and not (f.predicate == "held_by" and f.source == "state")]  # fmt: skip
    notable.sort(key=lambda f: order[f.predicate])
    return [f"{f.subject}: {f.object if f.predicate == 'status' else f.predicate.replace('_', ' ') + ' ' + f.object}"
            for f in notable[:limit]]  # fmt: skip


# --- the check -------------------------------------------------------------------------------------


def check(narrative: str, facts: Sequence[Fact], *, also_known: Iterable[str] = ()) -> list[Contradiction]:
    """Every contradiction of `narrative` with `facts` (see the module docstring). `also_known`: names that
    are new this turn (a creature joining the fight) and so no misspelling of anything."""
    view = _View(facts, also_known)
    found = _dead(narrative, view) + _spelling(narrative, view) + _whereabouts(narrative, view)
    found += _items(narrative, view)
    unique: dict[tuple[str, str, str], Contradiction] = {}
    for item in found:
        unique.setdefault((item.kind, item.subject.lower(), item.text.lower()), item)
    return list(unique.values())


def fix_spelling(narrative: str, found: Iterable[Contradiction]) -> tuple[str, list[Contradiction]]:
    """`narrative` with every misspelt name replaced by its stored spelling, and the fixes made."""
    fixed: list[Contradiction] = []
    for item in found:
        if item.kind != "spelling" or not item.fix:
            continue
        narrative, count = re.subn(rf"(?<![A-Za-z]){re.escape(item.text)}(?![A-Za-z])", item.fix, narrative)
        if count:
            fixed.append(item)
    return narrative, fixed


def arrivals(narrative: str, facts: Sequence[Fact]) -> list[str]:
    """NPCs whose arrival the narrative tells ("Captain Morrow strides in")."""
    view = _View(facts, ())
    verbs = "|".join(_ARRIVE)
    return [name for name in view.npcs
            if re.search(rf"{_name(name)},?\s+{_ADVERB}(?:{verbs})\b", narrative)]  # fmt: skip


class _View:
    """The facts arranged for checking."""

    def __init__(self, facts: Sequence[Fact], also_known: Iterable[str]) -> None:
        self.kinds = {f.subject: f.object for f in facts if f.predicate == "name"}
        living = {f.subject.lower() for f in facts if f.predicate == "status" and f.object == "alive"}
        self.living = living | {" ".join(n.lower().split()) for n in also_known}
        self.dead = [f.subject for f in facts if f.predicate == "status" and f.object == "dead"
                     and not _shares_name(f.subject.lower(), self.living)]  # fmt: skip
        self.names = list(dict.fromkeys([*self.kinds, *(n for n in also_known if n)]))
        self.npcs = [n for n, kind in self.kinds.items() if kind == "npc"]
        self.characters = [n for n, kind in self.kinds.items() if kind == "character"]
        self.here = next((f.object for f in facts if f.subject == PARTY and f.predicate == "is_at"), None)
        self.places = {f.subject: f.object for f in facts if f.predicate == "is_at" and f.subject != PARTY}
        self.holders: dict[str, set[str]] = {}  # item → who carries it
        self.carried: dict[str, set[str]] = {}  # person → what they carry (lower case)
        for f in facts:
            if f.predicate == "held_by":
                self.holders.setdefault(f.subject, set()).add(f.object)
                self.carried.setdefault(f.object, set()).add(f.subject.lower())


def _shares_name(dead: str, living: set[str]) -> bool:
    """Someone alive is called the same, or one name holds the other ("Goblin" and "Goblin Boss")."""
    words = dead.split()
    for name in living:
        other = name.split()
        if _contains(other, words) or _contains(words, other):
            return True
    return False


def _contains(words: list[str], part: list[str]) -> bool:
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1)) if part else False


def _name(name: str) -> str:
    """A regex for a name as written: exact case, or any case after "the" ("the goblin"); not a possessive."""
    words = r"\s+".join(re.escape(w) for w in name.split())
    return rf"(?:(?i:\bthe\s+{words})|\b{words})(?![A-Za-z'’])"


def _sentence(narrative: str, at: int) -> str:
    for match in _SENTENCE.finditer(narrative):
        if match.start() <= at < match.end():
            return match.group()
    return narrative


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _dead(narrative: str, view: _View) -> list[Contradiction]:
    out: list[Contradiction] = []
    acts, speech = "|".join(_ACTS), "|".join(_SPEECH)
    for name, said in _dead_names(view):
        if _another(name, narrative):
            continue
        pattern = re.compile(rf"{said},?\s+{_ADVERB}(?:{acts})\b|\b(?i:{speech})\s+{said}")
        for match in pattern.finditer(narrative):
            if _words(_sentence(narrative, match.start())) & _NOT_ALIVE:
                continue
            reason = f"{name} is dead, and the dead do not act or speak ({match.group()!r})."
            out.append(Contradiction("dead", name, match.group(), reason))
            break
    return out


def _another(name: str, narrative: str) -> bool:
    """The narrative brings in another one of that name ("a goblin", "two more goblins"): "the goblin" may be it."""
    words = r"\s+".join(re.escape(w) for w in name.split())
    return re.search(rf"(?i:\b(?:a|an|another|one|two|three|four|five|six|more|several|some|other)\s+"
                     rf"(?:\w+\s+)?{words}(?:e?s)?\b)", narrative) is not None


def _dead_names(view: _View) -> list[tuple[str, str]]:
    """(the dead one's name, a regex for it): the whole name, and a distinctive part of it no one else bears
    ("Kelpwhistle" for "Mother Kelpwhistle"; not "Tallow" while Osric and Wren Tallow are both known)."""
    parts: dict[str, int] = {}
    for name in view.names:
        for word in set(name.split()):
            parts[word] = parts.get(word, 0) + 1
    out: list[tuple[str, str]] = []
    for name in view.dead:
        out.append((name, _name(name)))
        words = name.split()
        if len(words) > 1:
            out += [(name, rf"\b{re.escape(w)}(?![A-Za-z'’])") for w in words
                    if len(w) >= 5 and w.lower() not in _TITLES and parts.get(w) == 1 and _CAPITALISED.fullmatch(w)]
    return out


def _spelling(narrative: str, view: _View) -> list[Contradiction]:
    tokens = list(_CAPITALISED.finditer(narrative))
    targets = _spelling_targets(view.names)
    exact = {t.lower() for t, _ in targets} | {n.lower() for n in view.names}
    used: set[int] = set()
    out: list[Contradiction] = []
    for size in (4, 3, 2, 1):
        for i in range(len(tokens) - size + 1):
            span = tokens[i : i + size]
            if used & set(range(i, i + size)) or not _adjacent(narrative, span):
                continue
            text = narrative[span[0].start() : span[-1].end()]
            best = _near_miss(text, [(t, whole) for t, whole in targets if len(t.split()) == size], exact)
            if best is not None:
                target, whole = best
                used |= set(range(i, i + size))
                named = "" if target == whole else f" ({whole})"
                out.append(Contradiction("spelling", whole, text, f"{text!r} is spelt {target!r} in this story{named}.",
                                         fix=target))  # fmt: skip
    return out


def _spelling_targets(names: Iterable[str]) -> list[tuple[str, str]]:
    """(spelling to match, the whole name): each name's capitalised words, and their distinctive parts alone."""
    out: list[tuple[str, str]] = []
    for name in names:
        words = [w for w in name.split() if not (w.islower() and w in _TITLES)]  # "the Salt Docks" → "Salt Docks"
        if not words or not all(_CAPITALISED.fullmatch(w) for w in words):
            continue  # digits ("Goblin 2") or odd spellings: not checked
        out.append((" ".join(words), name))
        if len(words) > 1:
            out += [(w, name) for w in words if len(w) >= 5 and w.lower() not in _TITLES]
    return out


def _adjacent(narrative: str, span: list[re.Match[str]]) -> bool:
    return all(narrative[a.end() : b.start()] == " " for a, b in zip(span, span[1:], strict=False))


def _near_miss(text: str, targets: list[tuple[str, str]], exact: set[str]) -> tuple[str, str] | None:
    low = text.lower()
    if low in exact or len(text) < 4:
        return None
    best: tuple[float, tuple[str, str]] | None = None
    for target, whole in targets:
        t = target.lower()
        plural = low in (t + "s", t + "es") or t in (low + "s", low + "es")
        if len(t) < _SHORT_NAME or t[0] != low[0] or abs(len(t) - len(low)) > 2 or plural:
            continue
        score = fuzz.ratio(low, t)
        if score >= SPELLING_RATIO and (best is None or score > best[0]):
            best = (score, (target, whole))
    return None if best is None else best[1]


def _whereabouts(narrative: str, view: _View) -> list[Contradiction]:
    if not view.here:
        return []
    out: list[Contradiction] = []
    arrived = set(arrivals(narrative, [Fact(n, "name", "npc") for n in view.npcs]))
    dead = {d.lower() for d in view.dead}
    verbs = "|".join(_PRESENT)
    for name in view.npcs:
        place = view.places.get(name)
        if not place or place.lower() == view.here.lower() or name in arrived or name.lower() in dead:
            continue
        for match in re.finditer(rf"{_name(name)}\s+{_ADVERB}(?:{verbs})\b", narrative):
            rest = narrative[match.end() :]
            clause = rest[: m.start()] if (m := _CLAUSE_END.search(rest)) else rest
            sentence = _sentence(narrative, match.start())
            if not _words(clause) & {"you", "your", "here"} or _words(sentence) & _ELSEWHERE:
                continue
            if place.lower() in sentence.lower():
                continue
            out.append(Contradiction("whereabouts", name, match.group() + clause,
                                     f"{name} is at {place}, not here at {view.here}; bring them here only by "
                                     "telling how they arrive."))  # fmt: skip
            break
    return out


def _items(narrative: str, view: _View) -> list[Contradiction]:
    out: list[Contradiction] = []
    wield = "|".join(_WIELD)
    low = narrative.lower()  # a name or an item the narrative does not hold needs no pattern (most of them)
    for item in set(view.holders) | {s for s in view.places if view.kinds.get(s) not in ("npc", "character")}:
        holders = view.holders.get(item, set())
        place = view.places.get(item)
        if (not holders and not place) or (item.split()[:1] and item.split()[0].lower() not in low):
            continue
        words = r"\s+".join(re.escape(w) for w in item.split())
        # the engine tracks only the characters' packs: an NPC's own sword is no contradiction
        for person in view.characters if holders else [*view.characters, *view.npcs]:
            if person not in narrative or person in holders or any(item.lower() in own
                                                                     for own in view.carried.get(person, ())):
                continue
            who = re.escape(person)
            pattern = (rf"\b{who}['’]s\s+(?i:{words})\b"
                       rf"|\b{who}\s+{_ADVERB}(?:{wield})\s+(?:his|her|their)\s+(?i:{words})\b")
            match = re.search(pattern, narrative)
            if match is None:
                continue
            where = f"carried by {', '.join(sorted(holders))}" if holders else f"at {place}"
            out.append(Contradiction("item", item, match.group(), f"The {item} is {where}, not {person}'s."))
    return out


# --- effects canon refuses -------------------------------------------------------------------------


def canon_refusals(effects: Sequence[Effect],
                   facts: Sequence[Fact]) -> tuple[list[Effect], list[tuple[dict[str, Any], str]]]:  # fmt: skip
    """Split effects into those canon allows and those it refuses (with the reason). The rules engine already
    refuses effects on the dead it tracks; this refuses a dead NPC brought into a fight and a new NPC whose
    name is a misspelling of someone already in the story."""
    view = _View(facts, ())
    dead = {d.lower() for d in view.dead}
    known = [n for n, kind in view.kinds.items() if kind in ("npc", "character")]
    kept: list[Effect] = []
    refused: list[tuple[dict[str, Any], str]] = []
    for effect in effects:
        reason = None
        if isinstance(effect, CombatStart | CombatJoin):
            for entrant in effect.combatants:
                for ref in (entrant.name, entrant.id):
                    if ref and " ".join(ref.lower().split()) in dead:
                        reason = f"{ref} is dead, and the dead stay dead."
        elif isinstance(effect, NpcIntroduce):
            name = " ".join(effect.name.split())
            if name.lower() in dead:
                reason = f"{name} is dead, and the dead stay dead."
            elif (same := _misspelt_as(name, known)) is not None:
                reason = f"{name!r} is {same}, already in the story."
        if reason is None:
            kept.append(effect)
        else:
            refused.append((effect.model_dump(), reason))
    return kept, refused


def _misspelt_as(name: str, known: Sequence[str]) -> str | None:
    words = name.split()
    for other in known:
        parts = other.split()
        if other.lower() == name.lower() or len(parts) != len(words):
            continue
        if [w[:1].lower() for w in words] == [p[:1].lower() for p in parts] and \
                fuzz.ratio(name.lower(), other.lower()) >= _NEW_NAME_RATIO:  # fmt: skip
            return other
    return None

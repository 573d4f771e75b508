"""Text helpers of the reader tier (`dm.reader`): module passages cut to a readable length, DM notes without
their DM-only mechanics, and the check that a small model's linking sentence reads as prose.

    reads_as_prose("The door creaks open onto the quay.", known_names=["Harbor Gate"])   # True
    reads_as_prose("1976-02-30", ())                                                      # False: a date
    reads_as_prose("john leahy", ())                                                      # False: no sentence
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["MAX_PASSAGE", "best_match", "content_words", "mechanics_free", "named_in", "passage_text", "reads_as_prose",
           "said_intent_of", "trim_sentences", "vocabulary_of"]

MAX_PASSAGE = 650  # characters of module text read in one turn (cut at a sentence end)
_MAX_LINK = 160
_READ_ALOUD = re.compile(r"^\s*read[ -]aloud\s*:\s*", re.I)
_HEADING = re.compile(r"^[A-Z]{0,3}-?\d{0,3}[a-z]?\.?\s*[^.!?]{1,80}$")
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z])")
_AREA = re.compile(r"\b(?:areas?|rooms?)\s+([A-Z]{1,3}-?\d{1,3}[a-z]?)\b")
_DM_ONLY = re.compile(r"\d|\bDC\b|stat block|statistics|saving throw|hit points|\bcheck\b|\(use\b|\badvantage\b|"
                      r"\bproficien|\bthe characters?\b|\bplayers?\b", re.I)  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_LITERALS = {"true", "false", "null", "none", "nil", "yes", "no", "n/a", "undefined", "nan"}
_SUBJECTS = {"you", "they", "he", "she", "it", "we", "i", "nobody", "someone", "something"}
_DETERMINERS = {"the", "a", "an", "his", "her", "their", "its", "of", "with", "some", "many", "two", "few", "these"}
_VERBS = frozenset("""
is are was were be been being am has have had do does did can could will would may might must shall should
go goes went come comes came see sees saw look looks hear hears heard feel feels felt seem seems stand stands
stood wait waits lead leads led lie lies lay hang hangs hung rise rises rose fall falls fell smell smells turn
turns watch watches hold holds held open opens close closes find finds found take takes took give gives gave
tell tells told say says said speak speaks spoke ask asks call calls meet meets met keep keeps kept leave leaves
left reach reaches move moves run runs ran walk walks step steps climb climbs drift drifts echo echoes creak
creaks glow glows burn burns flicker flickers shift shifts pass passes enter enters follow follows greet
greets nod nods smile smiles sigh sighs whisper whispers answer answers points point wave waves rush rushes
blow blows sit sits sat lean leans gleam gleams drip drips wash washes crash crashes
""".split())  # fmt: skip
_COMMON = _VERBS | frozenset("""
the a an and or but so yet nor of to in on at by for with from into onto over under up down out off through
across along around behind before after above below beside between beyond near toward towards against
about as than then there here now still again once just only even also not no never ever very too more most
less least much many some any all each every both few other another such own same this that these those it
its it's you your yours we our they their them he him his she her hers i me my who whom whose which what
when where why how while until since though although if because if whether one someone something nothing
everything anyone nobody party group door way path light dark cold old new long small great little last first
""".split())  # fmt: skip


def trim_sentences(text: str, limit: int = MAX_PASSAGE) -> str:
    """`text` (whitespace folded) cut to at most `limit` characters at a sentence end (never mid-sentence
    unless the first sentence alone is longer, when it is cut at a word and closed with "...")."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    out = ""
    for sentence in _SENTENCE.split(flat):
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out or flat[: limit - 3].rsplit(" ", 1)[0] + "..."


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def passage_text(text: str, *, notes: bool = False, limit: int = MAX_PASSAGE) -> str:
    """The readable part of a module passage: its read-aloud paragraph (or first paragraph of prose); with
    `notes`, the DM's paragraphs after it instead. The heading line and "Read aloud:" labels are dropped."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) > 1 and _HEADING.match(paragraphs[0]):
        paragraphs = paragraphs[1:]
    aloud = [i for i, p in enumerate(paragraphs) if _READ_ALOUD.match(p)]
    first = aloud[0] if aloud else 0
    if notes:
        chosen = [p for i, p in enumerate(paragraphs) if i != first and not _READ_ALOUD.match(p)]
    else:
        chosen = [_READ_ALOUD.sub("", paragraphs[first])] if paragraphs else []
    return trim_sentences(" ".join(chosen), limit)


def mechanics_free(text: str, world: Any = None, limit: int = MAX_PASSAGE) -> str:
    """`text`'s sentences without DM-only mechanics (numbers, DCs, stat blocks, checks, "the characters");
    "area B3" becomes the place's name when `world` (a `CampaignWorld`) knows the key."""
    keys = {(loc.key or "").upper(): loc.name for loc in getattr(world, "locations", ()) if loc.key}
    flat = _AREA.sub(lambda m: keys.get(m.group(1).upper(), m.group(0)), " ".join(text.split()))
    kept = [s for s in _SENTENCE.split(flat) if s and not _DM_ONLY.search(s)]
    return trim_sentences(" ".join(kept), limit)


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    """The lower-cased words of `texts` (the words a linking sentence may use besides common ones)."""
    return frozenset(w.lower().strip("'-") for text in texts for w in _WORD.findall(text or ""))


def _known(word: str, allowed: frozenset[str] | set[str]) -> bool:
    w = word.lower().strip("'-")
    if w.endswith("'s"):
        w = w[:-2]
    stems = {w, w[:-1], w[:-2], w[:-3], w[:-3] + "e", w[:-2] + "e", w[:-3] + "y" if w.endswith("ies") else w}
    return any(s in allowed for s in stems if s)


def _verbish(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        w = word.lower()
        if i > 0 and words[i - 1].lower() in _SUBJECTS and w not in _COMMON - _VERBS:
            return True  # "you push", "they wait": a pronoun and the word after it
        if w in _VERBS or (len(w) > 4 and w.endswith(("ed", "ing"))):
            return True
        if i > 0 and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "'s", "us", "is"))\
                and words[i - 1].lower() not in _DETERMINERS:  # fmt: skip
            return True
    return False


def reads_as_prose(text: str, known_names: Iterable[str] = (), vocabulary: Iterable[str] | None = None) -> bool:
    """Whether a model's short line is a sentence of prose that names nothing unknown.

    Refused: more than 160 characters, a bare literal ("false"), anything with a digit (a number, a date),
    fewer than three words, mostly non-letters, no verb-like word, a question, a capitalised word that is not
    part of a known name, and — when a `vocabulary` is given (the module's words) — any word that is neither
    in it, nor common, nor part of a known name ("john leahy" names nobody in the adventure).
    """
    flat = " ".join((text or "").split())
    if not flat or len(flat) > _MAX_LINK or flat.lower().strip(".!") in _LITERALS or re.search(r"\d", flat):
        return False
    if flat.endswith("?") or not flat[0].isupper():
        return False
    words = _WORD.findall(flat)
    visible = [c for c in flat if not c.isspace()]
    if len(words) < 3 or sum(c.isalpha() for c in visible) / len(visible) < 0.8 or not _verbish(words):
        return False
    names = {w.lower() for name in known_names for w in _WORD.findall(name)}
    starts = {0} | {m.end() for m in re.finditer(r"[.!;:]\s+", flat)}
    for match in _WORD.finditer(flat):
        word = match.group(0)
        if match.start() not in starts and word[0].isupper() and word.lower() not in names and word != "I":
            return False
    if vocabulary is not None:
        allowed = set(vocabulary) | names | _COMMON
        if not all(_known(word, allowed) for word in words):
            return False
    return True


# --- what the players' words say -----------------------------------------------------------------

_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(rf"\b(?:{words})\b", re.I)) for intent, words in (
        ("attack", r"attack|hit|strike|stab|shoot|kill|fight|swing|slash|punch"),
        ("rest", r"rest|sleep|camp|nap"),
        ("search", r"search|examine|inspect|investigate|look for|rummage|check"),
        ("ask", r"ask|asks|question|inquire|knows?|tell (?:me|us)|heard|rumou?rs?"),
        ("talk", r"talk|speak|greet|greets|say|says|tell|chat|hail|hello|hi|hey|greetings|please|thanks?|thank you"),
        ("move", r"go|goes|walk|head|enter|leave|climb|descend|travel|cross|return|follow|run|move"),
        ("look", r"look|describe|see|where|around|observe"),
    )
)  # fmt: skip
_STOP = frozenset("""
that this there their them they then than what when where which with from into onto over under about
have your yours were will would could should some more most very just only also around down back here
""".split())  # fmt: skip
_GENERIC = frozenset("""
room rooms stair stairs house hall office gate beach cellar cottage store base landing lane road door tower
chapel cave caves cages grotto shore point town inn tavern street square bridge well yard field
""".split())  # fmt: skip


def named_in(names: Sequence[str], said: str, *, whole: bool = False) -> list[str]:
    """The names in `names` that the players' words mention: the whole name (after a leading "The"), or unless
    `whole`, a distinctive word of it ("causeway", "Grell"; not "room" or "stair", nor a word two names share)."""
    low = f" {' '.join(re.findall(r'[a-z0-9]+', said.lower()))} "
    split = {name: re.findall(r"[a-z0-9]+", name.lower()) for name in names}
    shared = {w for name, words in split.items() for w in words
              if sum(w in other for other in split.values()) > 1}  # fmt: skip
    found = []
    for name, words in split.items():
        core = words[1:] if len(words) > 1 and words[0] == "the" else words
        if core and f" {' '.join(core)} " in low:
            found.append(name)
        elif not whole and len(core) > 1 and any(
                len(w) > 3 and w not in _GENERIC and w not in shared and f" {w} " in low for w in core):
            found.append(name)
    return found


def said_intent_of(said: str) -> str | None:
    """The intent a clear verb in the players' words gives ("we walk" → move), a question → ask; else None."""
    found = next((intent for intent, pattern in _KEYWORDS if pattern.search(said)), None)
    if found is None and re.search(r"[\"“”]", said):
        return "talk"  # quoted speech
    return found or ("ask" if "?" in said else None)


def content_words(text: str) -> set[str]:
    """The words of `text` that carry meaning (four letters or more, not the commonest)."""
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3} - _STOP


def best_match(candidates: Sequence[Any], said: str, text_of: Callable[[Any], str]) -> Any:
    """The candidate whose own text shares the most content words with the players' words (none: None)."""
    words = content_words(said)
    scored = [(len(words & content_words(text_of(c))), i, c) for i, c in enumerate(candidates)]
    top = max(scored, default=(0, 0, None), key=lambda item: (item[0], -item[1]))
    return top[2] if top[0] > 0 else None

"""Grounded gains: the rules engine refuses the impossible; this refuses the unearned.

    allowed, held = await ground(state, reply.effects, passages=shown, rules=table.rules)

    evidence = await gather_evidence(state, reply.effects, passages=shown, rules=table.rules)   # async: the SRD
    allowed, held = judge_gains(state, reply.effects, evidence)                                 # pure (in settle)

A gain is coins (a positive `currency_change`), an `item_add`, an `xp_award`, `temp_hp` for a
character, or newcomers in a `combat_start`/`combat_join` (new foes). Levels come only from XP (no
effect grants a level). Each gain must be traceable to one of:

(a) the campaign passages in this turn's prompt (`dm.grounding_text.PassageEvidence`: treasure-shaped
    mentions with their amounts, names with their counts; instruction-shaped lines ground nothing; each
    mention is used up once claimed: "the chest holds 30 gp" grounds 30 gp, not 1000, and not twice);
(b) the SRD (`RulesSource.lookup`): an item that is SRD equipment worth at most the party's tier
    treasure, or one common/uncommon (rare from 5th level) SRD magic item a turn; very rare, legendary
    and artifact items only where a passage names them; a creature that is an SRD monster;
(c) the rules: SRD monsters only when the fight stays within the party's deadly XP threshold (the
    DMG's thresholds and multipliers, `game.generators`); coins up to the DMG-style individual treasure
    of the dead foes in the state (`TREASURE_BY_CR`); XP up to what the foes defeated are worth — those
    killed this turn (by the engine's dice or the reply), or, when the reply ends the fight, every dead
    combatant of it; temporary hit points up to what a spell slot or class resource spent this turn can
    give (False Life, Armor of Agathys: 5 × slot level + 3; a feature: level + 6) or a kill (Dark One's
    Blessing). "This turn" is measured from `Evidence.before`, the state as the turn began.

Anything else is held for the owner with the `{kind, target, summary, accepted}` shape of a refusal.
A gain for someone not in this campaign is left to `game.validation`, which refuses it. A passage's item
the party already carries is not there to take again. Not tracked (the state keeps no marks for it):
looting the same dead foes, or taking a passage's coins, again on a later turn.

`hold_unearned` is the no-evidence form (sync): every gain held, as `settle` does when not given a split.

`withhold_rules` (from `dm.grounding_text`) keeps the standing rules out of the narrative players read.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from dm.grounding_text import LEAK_WORDS, WITHHELD, PassageEvidence, name_words, withhold_rules
from game.effects import CombatEntrant, Effect, GameState
from game.errors import RulesError
from game.generators import XP_BY_CR, encounter_multiplier, party_thresholds, xp_for_cr
from game.validation import apply_effects

__all__ = ["GAIN_KINDS", "HELD", "TREASURE_BY_CR", "Evidence", "effect_target", "gather_evidence", "ground",
           "hold_unearned", "judge_gains", "shown_passages", "withhold_rules", "LEAK_WORDS", "WITHHELD"]

HELD = "held for the owner"
GAIN_KINDS: Final = frozenset({"item_add", "xp_award", "currency_change", "temp_hp", "combat_start", "combat_join"})
# The most one creature of a CR band carries: the top of the DMG's "Individual Treasure" rows, in gp
# (CR 0-4: 1d6 pp; 5-10: 2d6x10 gp + 3d6 pp; 11-16: 2d6x100 gp + 2d6x10 pp; 17+: 1d6x1000 gp + 2d6x100 pp).
TREASURE_BY_CR: Final = ((4, 60), (10, 300), (16, 2_400), (30, 18_000))
_TIER_TOP: Final = (4, 10, 16, 20)  # tiers of play: levels 1-4, 5-10, 11-16, 17-20
_RARITY_LEVEL: Final = {"common": 1, "uncommon": 1, "rare": 5}  # very rare, legendary, artifact: a passage only
_RARITY_ORDER: Final = ("common", "uncommon", "rare", "very rare", "legendary", "artifact")
_GP: Final = {"cp": 0.01, "sp": 0.1, "ep": 0.5, "gp": 1.0, "pp": 10.0}
def effect_target(effect: Any) -> str:
    for attr in ("target", "destination", "thread", "name", "actor"):
        value = getattr(effect, attr, None) if not isinstance(effect, dict) else effect.get(attr)
        if isinstance(value, str) and value:
            return value
    targets = getattr(effect, "targets", None) if not isinstance(effect, dict) else effect.get("targets")
    if isinstance(targets, list):
        return ", ".join(str(t) for t in targets)
    combatants = getattr(effect, "combatants", None)
    if combatants:
        return ", ".join(c.id for c in combatants)
    return ""


def shown_passages(chunks: Iterable[Any], prompt: Sequence[dict[str, Any]]) -> list[Any]:
    """The retrieved chunks whose text is in the prompt as sent (the context may drop some for its budget)."""
    text = "\n".join(str(m.get("content", "")) for m in prompt if m.get("role") != "assistant")
    return [c for c in chunks if str(getattr(c, "text", "")).strip() and str(c.text).strip() in text]


def _held(effect: Effect, why: str) -> dict[str, Any]:
    return {"kind": effect.kind, "target": effect_target(effect), "summary": why[0].upper() + why[1:] + ".",
            "accepted": False}  # fmt: skip


def hold_unearned(state: GameState, effects: Sequence[Effect]) -> tuple[list[Effect], list[dict[str, Any]]]:
    """With no evidence at all: every gain held for the owner, everything else left to the rules engine."""
    allowed: list[Effect] = []
    held: list[dict[str, Any]] = []
    for effect in effects:
        if _is_gain(state, effect):
            held.append(_held(effect, _NOWHERE.get(effect.kind, f"that gain is {HELD}")))
        else:
            allowed.append(effect)
    return allowed, held


@dataclass(frozen=True)
class Evidence:
    """What a reply's gains may be traced to: the passages shown to the model and the SRD entries they name.

    Gathered before `settle` (the SRD lookups are async) and judged inside it (`judge_gains` is pure).
    """

    passages: tuple[Any, ...] = ()
    srd: Mapping[tuple[str, str], Any] = field(default_factory=dict)  # (kind, folded name) → RulesMatch | None
    before: GameState | None = None  # the state as the turn began (what the engine's own dice did counts too)


async def gather_evidence(state: GameState, effects: Sequence[Effect], *, passages: Iterable[Any] = (),
                          rules: Any = None) -> Evidence:  # fmt: skip
    """Look up in the SRD every item and creature the effects and the state name (misses are kept as None)."""
    wanted: set[tuple[str, str]] = {("monster", _base_name(c.name)) for c in state.creatures.values()}
    for effect in effects:
        if effect.kind == "item_add":
            wanted.add(("item", effect.item))  # type: ignore[union-attr]
        elif effect.kind in ("combat_start", "combat_join"):
            wanted |= {("monster", _base_name(c)) for c in effect.combatants}  # type: ignore[union-attr]
    srd: dict[tuple[str, str], Any] = {}
    for kind, name in sorted(wanted):
        key = (kind, " ".join(name_words(name)))
        if key not in srd and key[1]:
            srd[key] = await _srd_entry(rules, kind, name)
    return Evidence(tuple(passages), srd, state)


def judge_gains(state: GameState, effects: Sequence[Effect],
                evidence: Evidence) -> tuple[list[Effect], list[dict[str, Any]]]:  # fmt: skip
    """Split the model's effects into those the rules engine judges and the unearned gains held for the owner."""
    judge = _Judge(state, effects, PassageEvidence.read(evidence.passages), evidence.srd, evidence.before or state)
    allowed: list[Effect] = []
    held: list[dict[str, Any]] = []
    for effect in effects:
        why = judge.verdict(effect) if _is_gain(state, effect) else None
        if why is None:
            allowed.append(judge.srd_stats(effect))
        else:
            held.append(_held(effect, why))
    return allowed, held


async def ground(state: GameState, effects: Sequence[Effect], *, passages: Iterable[Any] = (),
                 rules: Any = None) -> tuple[list[Effect], list[dict[str, Any]]]:  # fmt: skip
    """`judge_gains` on freshly gathered evidence. passages: the campaign chunks shown to the model this
    turn; rules: a `RulesSource` (None: no SRD, so only the passages and the rules' own tables count)."""
    return judge_gains(state, effects, await gather_evidence(state, effects, passages=passages, rules=rules))


async def _srd_entry(rules: Any, kind: str, name: str) -> Any:
    """The SRD entry called `name` (exactly, or the same words with plurals folded), else None."""
    if rules is None:
        return None
    try:
        found = await rules.lookup(kind, name)
    except Exception:  # noqa: BLE001 - a miss (or the library being down) grounds nothing
        return None
    plain = re.sub(r"\s*\([^)]*\)\s*$", "", found.name)  # "Arrows (20)" is what "arrows" asks for
    return found if found.exact or name_words(name) in (name_words(found.name), name_words(plain)) else None


_NOWHERE: Final = {
    "item_add": f"that does not appear from nowhere; {HELD} (!add_item)",
    "xp_award": f"experience is {HELD} (!award_xp)",
    "currency_change": f"coins do not appear from nowhere; {HELD}",
    "temp_hp": f"temporary hit points do not appear from nowhere; {HELD}",
    "combat_start": f"new foes do not appear from nowhere; {HELD} (!initiative add)",
    "combat_join": f"new foes do not appear from nowhere; {HELD} (!initiative add)",
}


def _is_gain(state: GameState, effect: Effect) -> bool:
    kind = effect.kind
    if kind == "currency_change":
        return any(getattr(effect, c) > 0 for c in _GP)
    if kind in ("combat_start", "combat_join"):
        return bool(_newcomers(state, effect.combatants))  # type: ignore[union-attr]
    if kind == "temp_hp":
        return _character(state, effect.target) is not None  # type: ignore[union-attr]
    return kind in ("item_add", "xp_award")


def _character(state: GameState, ref: Any) -> str | None:
    try:
        cid, _who = state.find(str(ref))
    except RulesError:
        return None
    return cid if cid in state.characters else None


def _newcomers(state: GameState, combatants: Sequence[CombatEntrant]) -> list[CombatEntrant]:
    known = {cid.lower() for cid in (*state.characters, *state.creatures)}
    known |= {c.name.lower() for c in (*state.characters.values(), *state.creatures.values())}
    return [c for c in combatants if c.id.lower() not in known]


def _base_name(entrant: CombatEntrant | str) -> str:
    """ "Goblin 2" / "goblin-2" → "Goblin": the kind of creature a numbered newcomer is."""
    text = entrant if isinstance(entrant, str) else (entrant.name or entrant.id)
    return re.sub(r"[\s_#-]*\d+$", "", text.strip()) or text


def _cr_treasure(xp: int) -> int:
    cr = _cr_of_xp(xp)
    return next(gp for top, gp in TREASURE_BY_CR if cr <= top)


def _cr_of_xp(xp: int) -> float:
    return float(max((cr for cr, value in XP_BY_CR.items() if value <= xp), default=0))


class _Judge:
    """One reply's evidence and the budgets its gains use up, in the reply's order."""

    def __init__(self, state: GameState, effects: Sequence[Effect], book: PassageEvidence,
                 srd: Mapping[tuple[str, str], Any], before: GameState) -> None:  # fmt: skip
        self.state, self.book, self.srd = state, book, srd
        self.levels = [c.level for c in state.characters.values()] or [1]
        self.tier = next(i for i, top in enumerate(_TIER_TOP) if max(self.levels) <= top)
        self.magic_from_srd = False
        rest = [e for e in effects if not _is_gain(state, e)]
        self.after, outcomes = apply_effects(state, rest, rng=random.Random(0))  # what the reply's other effects do
        done = [e for e, o in zip(rest, outcomes, strict=True) if o.accepted]
        self.slot_level, self.resource_spent = _spent(before, self.after)  # by the engine's dice or the reply
        self.killed = [cid for cid, c in self.after.creatures.items()
                       if c.dead and cid in before.creatures and not before.creatures[cid].dead]  # fmt: skip
        ends_fight = state.combat is not None and any(e.kind == "combat_end" for e in done)
        fight = {c.id for c in state.combat.combatants} if state.combat is not None else set()
        fallen = {cid for cid in fight if self._dead_after(cid)} if ends_fight else set()
        self.defeated = sorted(set(self.killed) | fallen)
        self.xp_left: int | None = None  # looked up on first use
        self.loot_left: float | None = None

    def _dead_after(self, cid: str) -> bool:
        who = self.after.creatures.get(cid)
        return bool(who is not None and who.dead)

    def verdict(self, effect: Effect) -> str | None:
        kind = effect.kind
        if kind == "currency_change":
            return self._coins(effect)
        if kind == "item_add":
            return self._item(effect)
        if kind == "xp_award":
            return self._xp(effect)
        if kind == "temp_hp":
            return self._temp_hp(effect)
        return self._foes(effect)

    # --- coins, items, XP, temporary hit points --------------------------------------------------

    def _coins(self, e: Any) -> str | None:
        if _character(self.state, e.target) is None:
            return None  # not this campaign's character: the rules engine refuses it
        gains = {c: getattr(e, c) for c in _GP if getattr(e, c) > 0}
        if all(self.book.available(c) >= n for c, n in gains.items()):
            for coin, n in gains.items():
                self.book.take_coins(coin, n)
            return None
        value = sum(n * _GP[c] for c, n in gains.items())
        if self.loot_left is None:
            known = [self._lookup("monster", _base_name(who.name)) for who in self.after.creatures.values() if who.dead]
            self.loot_left = float(sum(_cr_treasure(_record_xp(m.record)) for m in known if m is not None))
        if value <= self.loot_left:
            self.loot_left -= value
            return None
        amount = ", ".join(f"{n} {c}" for c, n in gains.items())
        return f"{amount} is more than the campaign text or the fallen foes hold; {HELD}"

    def _item(self, e: Any) -> str | None:
        if _character(self.state, e.target) is None or e.quantity < 1:
            return None
        if self.book.count_named(e.item) - self._carried(e.item) >= e.quantity:  # not what was taken before
            self.book.take_named(e.item, e.quantity)
            return None
        match = self._lookup("item", e.item)
        if match is None:
            return f"{e.item} does not appear from nowhere; {HELD} (!add_item)"
        if match.kind == "magic_items":
            rarity = _rarity(match, e.item)
            if rarity not in _RARITY_LEVEL:
                return f"{e.item} ({rarity}) comes only where the campaign text places it; {HELD} (!add_item)"
            if _RARITY_LEVEL[rarity] > max(self.levels):
                return f"{e.item} ({rarity}) is beyond the party's tier; {HELD} (!add_item)"
            if e.quantity > 1 or self.magic_from_srd:
                return f"more magic than one item a turn is {HELD} (!add_item)"
            self.magic_from_srd = True
            return None
        cost = match.record.get("cost_cp")
        top = TREASURE_BY_CR[self.tier][1]
        if (cost is None and e.quantity > 1) or (cost or 0) * e.quantity > top * 100:
            return f"{e.quantity} x {e.item} is worth more than the party's tier allows; {HELD} (!add_item)"
        return None

    def _carried(self, item: str) -> int:
        """How many of `item` the party already carries: a passage's one locket is not there to take twice."""
        wanted = name_words(item)
        return sum(i.quantity for c in self.state.characters.values() for i in c.inventory.items
                   if name_words(i.name) == wanted)  # fmt: skip

    def _xp(self, e: Any) -> str | None:
        if e.amount < 1 or not e.targets or any(_character(self.state, t) is None for t in e.targets):
            return None
        if self.book.available("xp") >= e.amount:
            self.book.take_xp(e.amount)
            return None
        if self.xp_left is None:
            self.xp_left = sum([self._xp_of(self.after.creatures[cid].name) for cid in self.defeated])
        total = e.amount * len(e.targets)
        if self.xp_left and total <= self.xp_left:
            self.xp_left -= total
            return None
        if not self.xp_left:
            return f"experience ({total} XP) is unearned: no foe was defeated; {HELD} (!award_xp)"
        return f"experience ({total} XP) is more than the foes defeated are worth {self.xp_left} XP; {HELD} (!award_xp)"

    def _temp_hp(self, e: Any) -> str | None:
        if e.amount < 1:
            return None
        if self.book.available("temp_hp") >= e.amount:
            self.book.take_temp_hp(e.amount)
            return None
        caps = [5 * self.slot_level + 3 if self.slot_level else 0, max(self.levels) + 6 if self.resource_spent else 0,
                max(self.levels) + 5 if self.killed else 0]  # fmt: skip
        if e.amount <= max(caps):
            return None
        return _NOWHERE["temp_hp"]

    # --- new foes ------------------------------------------------------------------------------

    def _foes(self, e: Any) -> str | None:
        groups: dict[tuple[str, ...], list[CombatEntrant]] = {}
        for entrant in _newcomers(self.state, e.combatants):
            groups.setdefault(name_words(_base_name(entrant)), []).append(entrant)
        from_srd: list[tuple[CombatEntrant, int]] = []
        unknown: list[str] = []
        for members in groups.values():
            name = _base_name(members[0])
            if self.book.count_named(name) >= len(members):
                continue
            match = self._lookup("monster", name)
            if match is None:
                unknown += [m.id for m in members]
            else:
                from_srd += [(m, _record_xp(match.record)) for m in members]
        if unknown:
            return f"new foes ({', '.join(unknown)}) do not appear from nowhere; {HELD} (!initiative add)"
        if from_srd:
            why = self._beyond_deadly(from_srd)
            if why:
                return why
        for members in groups.values():  # grounded: the passages' mentions it used are used up
            name = _base_name(members[0])
            self.book.take_named(name, min(len(members), self.book.count_named(name)))
        return None

    def _beyond_deadly(self, new: list[tuple[CombatEntrant, int]]) -> str | None:
        fight = {c.id for c in self.state.combat.combatants} if self.state.combat is not None else set()
        xps = [self._xp_of(who.name) for cid, who in self.state.creatures.items()
               if cid in fight and not who.dead]  # fmt: skip
        xps += [xp for _m, xp in new]
        adjusted = int(sum(xps) * encounter_multiplier(len(xps), len(self.levels)))
        deadly = party_thresholds(self.levels)["deadly"]
        if adjusted <= deadly:
            return None
        names = ", ".join(dict.fromkeys(m.name or m.id for m, _xp in new))
        return (f"{names} would make a fight beyond deadly for this party ({adjusted} XP against {deadly}); "
                f"{HELD} (!initiative add)")  # fmt: skip

    def srd_stats(self, effect: Effect) -> Effect:
        """A fight's newcomers with their SRD stat block's armour class and Dexterity, and at most its hit
        points (a wounded one may have fewer): the model names the foe, the book gives its numbers."""
        if effect.kind not in ("combat_start", "combat_join"):
            return effect
        combatants: Sequence[CombatEntrant] = effect.combatants  # type: ignore[union-attr]
        newcomers = {c.id for c in _newcomers(self.state, combatants)}
        entrants = [self._stat_block(c) if c.id in newcomers else c for c in combatants]
        return effect.model_copy(update={"combatants": entrants})

    def _stat_block(self, entrant: CombatEntrant) -> CombatEntrant:
        match = self._lookup("monster", _base_name(entrant))
        record = match.record if match is not None else {}
        hp, ac, dex = record.get("hit_points"), record.get("armor_class"), record.get("dex")
        update: dict[str, Any] = {}
        if isinstance(hp, int) and hp > 0 and (entrant.hit_points is None or entrant.hit_points > hp):
            update["hit_points"] = hp
        if isinstance(ac, int):
            update["armor_class"] = ac
        if isinstance(dex, int):
            update["dexterity"] = dex
        return entrant.model_copy(update=update) if update else entrant

    # --- the SRD -------------------------------------------------------------------------------

    def _lookup(self, kind: str, name: str) -> Any:
        return self.srd.get((kind, " ".join(name_words(name))))

    def _xp_of(self, name: str) -> int:
        match = self._lookup("monster", _base_name(name))
        return _record_xp(match.record) if match is not None else 0


def _spent(before: GameState, after: GameState) -> tuple[int, bool]:
    """The highest spell slot level spent between two states, and whether a class resource was used."""
    level, resource = 0, False
    for cid, was in before.characters.items():
        now = after.characters.get(cid)
        if now is None:
            continue
        old, new = was.spell_slots, now.spell_slots
        level = max([level, *[lvl for lvl, n in old.current.items() if new.current.get(lvl, 0) < n]])
        if new.pact_current < old.pact_current:
            level = max(level, old.pact_level)
        resource = resource or any(key in now.resources and now.resources[key].remaining < pool.remaining
                                   for key, pool in was.resources.items())  # fmt: skip
    return level, resource


def _record_xp(record: dict[str, Any]) -> int:
    if isinstance(record.get("xp"), int):
        return int(record["xp"])
    try:
        return xp_for_cr(str(record.get("challenge_rating", "")).split()[0])
    except (RulesError, IndexError):
        return 0


def _rarity(match: Any, asked: str) -> str:
    """The rarity of the SRD magic item asked for (its variant's when the entry's rarity varies)."""
    record = match.record
    rarities = {str(k): str(v).lower() for k, v in (record.get("rarities") or {}).items()}
    if rarities:
        if match.variant in rarities:
            return rarities[match.variant]
        words = set(name_words(asked))
        fits = [k for k in rarities if set(name_words(k)) <= words]
        if fits:
            return rarities[max(fits, key=len)]
        return max(rarities.values(), key=lambda r: _RARITY_ORDER.index(r) if r in _RARITY_ORDER else 99)
    rarity = str(record.get("rarity", "")).lower().strip()
    return rarity if rarity in _RARITY_ORDER else "of unknown rarity"

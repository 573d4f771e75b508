"""The engine's dice for the DM turn: whole attacks from the model's rolls (dm.actions through dm.rolls),
laying them on the saved state, numbers in prose, and cited sources. No database: states built by hand."""

from __future__ import annotations

from dm.actions import Resolution, engine_first, monster_attacks, replay
from dm.citations import cited_chunks, chunk_source, merge_sources, srd_source
from dm.mechanics import checked_narrative, mechanics_lines, numbers_in, strip_unbacked
from dm.reply import RollRequest, parse_reply
from dm.rolls import engine_rolls
from game.combat import Combatant, CombatState
from game.creation import create_character, standard_array
from game.dice import Advantage, d20_faces, seeded
from game.effects import Creature, GameState, HpChange
from gateway.render.sources import sources_line
from persistence.interfaces import RetrievedChunk, RulesMatch

NAT_20 = 881_013  # with this seed the first d20 is a 20 (checked below)
GOBLIN = {"name": "Goblin", "page": 315, "section": "Monsters", "actions": [
    {"name": "Scimitar", "description": "Melee Weapon Attack: +4 to hit, reach 5 ft., one target. "
                                        "Hit: 5 (1d6 + 2) slashing damage."},
    {"name": "Shortbow", "description": "Ranged Weapon Attack: +4 to hit, range 80/320 ft., one target. "
                                        "Hit: 5 (1d6 + 2) piercing damage."}]}  # fmt: skip


def _state(turn: str | None = None, goblin_hp: int = 30) -> GameState:
    brakka = create_character("Brakka", "dwarf", "fighter",
                              standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}),
                              ["athletics", "perception"], player_id=31)  # fmt: skip
    brakka.id = "brakka"
    goblin = Creature(id="goblin-1", name="Goblin", hp=goblin_hp, max_hp=goblin_hp, armor_class=15, dexterity=14)
    combat = None
    if turn is not None:
        order = (Combatant(id="goblin-1", name="Goblin", initiative=15),
                 Combatant(id="brakka", name="Brakka", initiative=12, is_player=True))  # fmt: skip
        combat = CombatState(combatants=order, turn_index=0 if turn == "goblin-1" else 1)
    return GameState(characters={"brakka": brakka}, creatures={"goblin-1": goblin}, combat=combat)


class _Rules:
    """A rules source with only the goblin's stat block (and a longsword without a page)."""

    async def lookup(self, kind: str, name: str) -> RulesMatch:
        if kind == "monster" and name.lower() == "goblin":
            return RulesMatch("monsters", "Goblin", GOBLIN, exact=True, score=100.0)
        if kind == "equipment" and name.lower() == "longsword":
            return RulesMatch("equipment", "Longsword", {"name": "Longsword", "page": 66}, exact=True, score=100.0)
        raise LookupError(name)


def test_the_seed_gives_a_natural_20() -> None:
    with seeded(NAT_20):
        assert d20_faces(Advantage.NONE)[1] == (20,)


async def test_a_characters_attack_uses_their_best_weapon_and_a_natural_20_doubles_the_dice() -> None:
    state = _state()
    (roll,), done = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")],
                                       rules=_Rules(), seed=NAT_20)  # fmt: skip
    assert done is not None and state.creatures["goblin-1"].hp == 30  # the turn's state is not touched
    assert roll.crit and roll.success and roll.modifier == 4 and roll.dc == 15 and roll.total == 24
    damage = roll.detail["dice"]["damage"]
    assert len(damage) == 2  # the longsword's 1d8, twice
    assert done.after.creatures["goblin-1"].hp == 30 - (sum(damage) + 2)
    assert roll.line.startswith("Brakka critically hits Goblin with a Longsword — 24 (+4) vs AC 15, "
                                "a natural 20: dice doubled")
    assert done.targets == {"goblin-1"} and [m.name for m in done.records] == ["Longsword"]
    assert [op[1].kind for op in done.ops] == ["hp_change"]


async def test_a_creature_attacks_with_its_stat_block_action_on_its_turn() -> None:
    state = _state(turn="goblin-1")
    rolls, done = await engine_rolls(state, [
        RollRequest(who="Goblin", kind="attack", target="Brakka", weapon="shortbow"),
        RollRequest(who="Brakka", kind="attack", target="Goblin")], rules=_Rules(), seed=NAT_20)  # fmt: skip
    goblin, brakka = rolls
    assert goblin.crit and goblin.label == "attack with Shortbow" and goblin.modifier == 4 and goblin.dc == 18
    taken = sum(goblin.detail["dice"]["damage"]) + 2
    assert done is not None and done.after.characters["brakka"].hp == 14 - taken
    assert brakka.refused and brakka.problem == "it is Goblin's turn in the fight, not Brakka's"
    assert [r["summary"] for r in done.refused] == [brakka.problem]
    assert mechanics_lines(rolls, []) == [goblin.line]  # the refusal is told as a refusal, not as a roll


async def test_a_creature_without_a_stat_block_or_a_target_nobody_sees_is_refused() -> None:
    state = _state()
    rolls, done = await engine_rolls(state, [
        RollRequest(who="Goblin", kind="attack", target="Brakka"),
        RollRequest(who="Brakka", kind="attack", target="the dragon")], rules=None)  # fmt: skip
    assert [r.problem for r in rolls] == ["Goblin has no stat block in the rules at hand to attack with",
                                          "Brakka sees nobody called 'the dragon' here"]
    assert done is not None and done.after == state and not done.ops


async def test_an_attack_without_a_target_is_still_plain_dice() -> None:
    (roll,), done = await engine_rolls(_state(), [RollRequest(who="Brakka", kind="attack", expression="1d20+4")])
    assert done is None and roll.total is not None and not roll.line


async def test_replay_on_the_same_state_keeps_the_result_and_on_a_fresher_one_judges_the_effects_again() -> None:
    state = _state()
    _, done = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")],
                                 rules=_Rules(), seed=NAT_20)  # fmt: skip
    assert done is not None
    same, applied, refused = replay(state, done)
    assert same is done.after and [a["by"] for a in applied] == ["engine"] and not refused
    hurt = state.replace("goblin-1", state.creatures["goblin-1"].model_copy(update={"hp": 20}))
    after, applied, _ = replay(hurt, done)  # another save came first: the same blow lands on 20 HP
    dealt = 30 - done.after.creatures["goblin-1"].hp
    assert after.creatures["goblin-1"].hp == 20 - dealt and applied[0]["kind"] == "hp_change"


def test_the_models_hp_change_on_a_target_the_dice_resolved_is_refused_once() -> None:
    state = _state()
    done = Resolution(base=state, after=state, targets={"goblin-1"})
    effects = [HpChange(target="Goblin", amount=-5), HpChange(target="brakka", amount=-1)]
    _, _, refused, kept = engine_first(state, done, effects)
    assert [e.target for e in kept] == ["brakka"]
    assert refused == [{"kind": "hp_change", "target": "Goblin", "accepted": False,
                        "summary": "the blow on Goblin was already resolved by the dice"}]  # fmt: skip


def test_monster_attacks_read_the_stat_blocks_weapon_actions() -> None:
    scimitar, bow = monster_attacks(GOBLIN)
    assert (scimitar.weapon, scimitar.attack_bonus, scimitar.damage_dice, scimitar.damage_bonus) == ("Scimitar", 4,
                                                                                                     "1d6", 2)
    assert bow.ranged and bow.normal_range == 80 and bow.long_range == 320 and bow.damage_type == "piercing"
    assert monster_attacks({"actions": [{"name": "Multiattack", "description": "It makes two attacks."}]}) == []


def test_a_spell_request_parses_with_its_slot_level() -> None:
    reply = parse_reply('{"narrative": "x", "rolls": [{"who": "Mira", "kind": "spell", "spell": "fireball", '
                        '"target": "goblin", "slot_level": 3}], "rule_lookups": [], "effects": []}')
    (request,) = reply.rolls
    assert (request.kind, request.spell, request.slot_level, request.target) == ("spell", "fireball", 3, "goblin")


def test_numbers_in_prose_are_flagged_ordinals_and_words_are_not() -> None:
    allowed = numbers_in(["Goblin takes 9 slashing damage (30 → 21 HP)", {"dice": "2d6+3"}])
    text, flagged = strip_unbacked("It takes 12 fire damage and 9 more; a 3rd-level spell, seven crows, "
                                   "2d6+3 claws and 40 sailors.", allowed)  # fmt: skip
    assert flagged == ["12", "40"]
    assert text == "It takes fire damage and 9 more; a 3rd-level spell, seven crows, 2d6+3 claws and 40 sailors."
    assert strip_unbacked("No numbers here.", set()) == ("No numbers here.", [])
    same, none = checked_narrative("Brakka has 14 HP.", ["Brakka: 14/14 HP"], [], [])
    assert same == "Brakka has 14 HP." and none == []


def test_sources_cite_the_srd_page_and_the_passages_the_narrative_draws_on() -> None:
    fireball = srd_source(RulesMatch("spells", "Fireball", {"name": "Fireball", "page": 241}, exact=True, score=100))
    assert fireball == {"kind": "srd", "title": "SRD 5.1", "section": "Spells", "name": "Fireball", "page": 241}
    quay = RetrievedChunk(id=12, heading_path=("Chapter 1", "The Quay"), page=3, kind="read_aloud", tags=(),
                          text="Fog rolls in off the grey water and the lanterns sway on their poles.", score=1.0)
    cellar = RetrievedChunk(id=13, heading_path=("Chapter 1", "The Cellar"), page=4, kind="text", tags=(),
                            text="Barrels of salted fish line the walls.", score=0.5)
    assert cited_chunks("You stand on the quay as the fog rolls in.", [quay, cellar]) == [quay]  # named
    assert cited_chunks("Fog rolls in off the grey water and the lanterns sway.", [quay, cellar]) == [quay]
    assert cited_chunks("Nothing from the book.", [quay, cellar]) == []
    sources = merge_sources([fireball, fireball], [chunk_source(quay, "The Drowned Lantern")])
    assert sources_line(sources) == "Sources: SRD 5.1 p. 241 (Fireball); The Drowned Lantern p. 3 (The Quay)"
    assert sources_line(()) == ""


def test_a_spell_may_name_several_targets_an_attack_one() -> None:
    from dm.actions import _target_names

    spell = RollRequest(who="Mira", kind="spell", spell="magic missile", target="goblin 1, goblin 2 and the ogre")
    assert _target_names(spell) == ["goblin 1", "goblin 2", "the ogre"]
    assert _target_names(RollRequest(who="Brakka", kind="attack", target="Bob and Sons")) == ["Bob and Sons"]


def test_settle_cites_the_passage_the_narrative_draws_on_and_counts_unbacked_numbers() -> None:
    from dm.reply import ParsedReply
    from dm.turn import Thought, settle

    quay = RetrievedChunk(id=12, heading_path=("Chapter 1", "The Quay"), page=3, kind="read_aloud", tags=(),
                          text="Fog rolls in off the grey water and the lanterns sway on their poles.", score=1.0)
    thought = Thought(final=ParsedReply(narrative="On the Quay, 41 lanterns sway."), raw=None,
                      prompt=[{"role": "user", "content": "bob (Brakka): I walk to the quay"}], chunks=[quay],
                      campaign="The Drowned Lantern")  # fmt: skip
    settled = settle(_state(), thought)
    assert settled.sources == ({"kind": "campaign", "title": "The Drowned Lantern", "section": "The Quay",
                                "name": "The Quay", "page": 3, "chunk_id": 12},)  # fmt: skip
    assert settled.prose_numbers == ("41",) and settled.text.startswith("On the Quay, 41 lanterns sway.")


async def test_a_character_takes_one_action_a_reply_not_one_per_roll_asked_for() -> None:
    # A model that asks for three attacks by a 1st-level fighter gets one: the Attack action is one attack until
    # Extra Attack, and a reply cannot multiply a character's turn (the review found a PC killed by 3 swings).
    state = _state(goblin_hp=100)
    rolls, done = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")] * 3,
                                     rules=_Rules(), seed=7)  # fmt: skip
    assert done is not None and [r.refused for r in rolls] == [False, True, True]
    assert "already" in rolls[1].problem and len([op for op in done.ops if op[0] == "effect"]) == 1
    assert [r["by"] for r in done.refused] == ["engine", "engine"]


async def test_extra_attack_allows_two_attacks_in_the_action() -> None:
    state = _state(goblin_hp=100)
    brakka = state.characters["brakka"].model_copy(deep=True)
    brakka.level, brakka.classes = 5, [brakka.classes[0].model_copy(update={"level": 5})]
    state = state.model_copy(update={"characters": {"brakka": brakka}})
    rolls, _ = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")] * 3,
                                  rules=_Rules(), seed=7)  # fmt: skip
    assert [r.refused for r in rolls] == [False, False, True]


async def test_a_player_character_acts_only_for_a_player_who_spoke() -> None:
    # found in review: "mira: I hum a tune" got a reply in which Bram (another player's character) attacked
    # and killed Mira; the turn names the characters whose players spoke, and only they act
    state = _state(goblin_hp=100)
    rolls, done = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")],
                                     rules=_Rules(), seed=7, actors={"Mira"})  # fmt: skip
    assert rolls[0].refused and "player" in rolls[0].problem and done is not None and done.ops == []
    rolls, _ = await engine_rolls(state, [RollRequest(who="Goblin", kind="attack", target="Brakka")],
                                  rules=_Rules(), seed=7, actors=set())  # creatures are the DM's to run
    assert not rolls[0].refused
    rolls, _ = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")],
                                  rules=_Rules(), seed=7, actors={"brakka"})  # by name or id, any case
    assert not rolls[0].refused
    rolls, _ = await engine_rolls(state, [RollRequest(who="Brakka", kind="attack", target="goblin")],
                                  rules=_Rules(), seed=7)  # not given: no restriction (as before)
    assert not rolls[0].refused

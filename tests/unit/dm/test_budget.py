"""The prompt's token budget: caps per part, the fixed trim order, the new messages never cut, the
backend's tokenizer when it has one, and prefix-stable prompts across consecutive turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dm.budget import TRIM_ORDER, Counter, Part, fit, token_counter
from dm.context import STANDING_RULES, ChatLine, SrdEntry, build_context
from game.creation import create_character, standard_array
from game.effects import Creature, GameState
from inference.interfaces import TokenCounter
from inference.scripted import ScriptedBackend
from persistence.interfaces import HistoryLine

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _state() -> GameState:
    brakka = create_character("Brakka", "dwarf", "fighter",
                              standard_array({"str": 15, "con": 14, "dex": 13, "wis": 12, "cha": 10, "int": 8}),
                              ["athletics", "perception"], player_id=31)  # fmt: skip
    brakka.id = "brakka"
    goblin = Creature(id="goblin-1", name="Goblin", hp=7, max_hp=7, armor_class=15, dexterity=14)
    return GameState(characters={"brakka": brakka}, creatures={"goblin-1": goblin}, location="Saltmere")


class _Chunk:
    def __init__(self, i: int, words: int) -> None:
        self.id, self.heading_path, self.page = i, ("Saltmere", f"Area {i}"), i
        self.text = " ".join(f"passage{i}" for _ in range(words))


def _words(n: int, tag: str) -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


class WordCountingBackend(ScriptedBackend):
    """A real scripted backend whose tokenizer counts words (a backend with the TokenCounter capability)."""

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _history(n: int) -> list[HistoryLine]:
    out = []
    for i in range(n):
        out.append(HistoryLine("player", "bob", f"line {i}: I look around the room.", T0 + timedelta(minutes=2 * i),
                               author_id=31))  # fmt: skip
        out.append(HistoryLine("dm", "DM", f"reply {i}: the room is cold and still.",
                               T0 + timedelta(minutes=2 * i + 1), turn_id=i + 1))  # fmt: skip
    return out


def test_parts_are_trimmed_in_the_fixed_order_and_only_as_far_as_needed() -> None:
    count = Counter(lambda text: len(text.split()), "tokenizer")
    parts = {name: Part([_words(10, name) for _ in range(10)], sep_tokens=0) for name in TRIM_ORDER}
    report = fit(parts, budget=100 + (len(TRIM_ORDER) - 1) * 100 - 50, fixed={"messages": 100}, counter=count)
    assert report.parts["srd"] == 0 and parts["srd"].dropped == 10  # the first in the order loses everything
    assert report.parts["passages"] == 50 and parts["passages"].dropped == 5
    for name in ("scene", "summary", "recent", "state"):  # later parts are untouched
        assert report.parts[name] == 100 and parts[name].dropped == 0
    assert report.used == report.budget and not report.over
    assert [t["part"] for t in report.trimmed] == ["srd", "passages"]
    assert all(t["why"] == "window" for t in report.trimmed)


def test_older_lines_go_first_and_lowest_ranked_passages_go_first() -> None:
    count = Counter(lambda text: len(text.split()), "tokenizer")
    recent = Part(["oldest line", "middle line", "newest line"], drop="oldest", sep_tokens=0)
    passages = Part(["best passage", "second passage", "worst passage"], sep_tokens=0)
    fit({"passages": passages, "recent": recent}, budget=8, fixed={}, counter=count,
        order=("recent", "passages"))  # fmt: skip
    assert recent.items == ["newest line"] and len(passages.items) == 3
    fit({"passages": passages}, budget=2, fixed={}, counter=count)
    assert passages.items == ["best passage"]


def test_a_cap_holds_a_part_even_when_the_window_has_room() -> None:
    count = Counter(lambda text: len(text.split()), "tokenizer")
    srd = Part([_words(10, "spell") for _ in range(5)], sep_tokens=0, cap=25)
    report = fit({"srd": srd}, budget=10_000, fixed={}, counter=count)
    assert report.parts["srd"] == 20 and srd.dropped == 3
    assert report.trimmed == ({"part": "srd", "dropped": 3, "cut": False, "why": "cap"},)


def test_a_long_summary_is_cut_at_a_word_keeping_its_latest_part() -> None:
    count = Counter(lambda text: len(text.split()), "tokenizer")
    summary = Part([_words(200, "w")], drop="oldest", truncate=True)
    fit({"summary": summary}, budget=50, fixed={}, counter=count)
    (text,) = summary.items
    assert summary.cut and text.startswith("…") and text.endswith("w199") and count(text) <= 50


def test_the_new_messages_are_cut_last_and_only_when_they_alone_overflow_the_budget() -> None:
    said = _words(200, "word")
    built = build_context(_state(), [ChatLine("bob", "Brakka", said)], chunks=[_Chunk(1, 50)],
                          srd=[SrdEntry("spells", "Fireball", "x" * 400)], budget_tokens=900)  # fmt: skip
    assert said in built.messages[-1]["content"] and built.messages[0]["content"] == STANDING_RULES
    report = built.report
    assert report.parts["srd"] == 0 and report.parts["passages"] == 0
    assert {t["part"] for t in report.trimmed} >= {"srd", "passages"}


def test_messages_longer_than_the_window_are_cut_so_the_turn_can_still_be_asked() -> None:
    # found in review: messages were never cut, so a batch longer than the window (a pasted page, or ten long
    # posts kept pending through an outage) made every turn PromptTooLong, the words stayed pending, and the
    # channel never got an answer again
    count = token_counter()
    lines = [ChatLine("bob", "Brakka", "I shout: " + _words(1500, "long")), ChatLine("ann", None, "I wait.")]
    built = build_context(_state(), lines, budget_tokens=1500, counter=count)
    total = sum(count(m["content"]) for m in built.messages)
    tail = built.messages[-1]["content"]
    assert total <= 1500 and "I shout: long0 long1" in tail and "I wait." in tail and "[…]" in tail
    assert "long1499" not in tail


def test_tokens_are_counted_with_the_backends_tokenizer_when_it_has_one() -> None:
    backend = WordCountingBackend([{"narrative": "ok"}])
    assert isinstance(backend, TokenCounter) and not isinstance(ScriptedBackend([{"a": 1}]), TokenCounter)
    count = token_counter(backend)
    assert count.source == "tokenizer" and count("three small words") == 3
    assert token_counter(ScriptedBackend([{"a": 1}])).source == "chars/4"
    line = ChatLine("bob", "Brakka", "I attack the goblin with my axe")
    built = build_context(_state(), [line], budget_tokens=3000, counter=count)
    assert built.report.counter == "tokenizer"
    assert built.report.parts["rules"] == len(STANDING_RULES.split())
    assert built.report.parts["messages"] == len(built.messages[-1]["content"].split("\n\n")[-1].split())


def test_a_tokenizer_that_fails_falls_back_to_the_estimate() -> None:
    def broken(text: str) -> int:
        raise RuntimeError("model not loaded")

    count = Counter(broken, "tokenizer")
    assert count("12345678") == 2 and count.source == "chars/4"


def test_the_report_says_what_each_part_cost_and_what_was_kept() -> None:
    chunks = [_Chunk(i, 40) for i in range(1, 11)]
    built = build_context(_state(), [ChatLine("bob", "Brakka", "I search the shrine.")], chunks=chunks,
                          history=_history(3), summary="The party came to Saltmere.", budget_tokens=1200)  # fmt: skip
    report = built.report.to_dict()
    assert set(report["parts"]) == {"rules", "campaign", "messages", "srd", "passages", "scene", "summary", "recent",
                                   "state"}
    assert report["used"] == sum(report["parts"].values()) <= report["budget"] == 1200
    assert 0 < report["kept"]["passages"] < 10 and report["trimmed"][0]["part"] == "passages"
    assert built.sources["chunks"] == list(range(1, report["kept"]["passages"] + 1))
    assert report["kept"]["recent"] == 6 and report["counter"] == "chars/4"


def _rendered(messages: list[dict[str, Any]]) -> str:
    """A chat template's shape: what a prefix cache sees."""
    return "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in messages)


def test_two_consecutive_turns_share_the_exact_prefix_up_to_the_volatile_part() -> None:
    state = _state()
    history = _history(4)
    first_line = ChatLine("bob", "Brakka", "I open the chest.")
    first = build_context(state, [first_line], campaign="Lantern Keep", chunks=[_Chunk(1, 30)],
                          summary="Brakka reached Saltmere.", history=history, budget_tokens=3000).messages  # fmt: skip
    after = [*history,
             HistoryLine("player", "bob", first_line.text, T0 + timedelta(hours=1), author_id=31),
             HistoryLine("dm", "DM", "The lid creaks open on old coins.", T0 + timedelta(hours=1, seconds=5))]
    moved = state.model_copy(update={"location": "The Drowned Lantern"})  # the volatile state changed too
    second = build_context(moved, [ChatLine("bob", "Brakka", "I count the coins.")], campaign="Lantern Keep",
                           chunks=[_Chunk(2, 30)], summary="Brakka reached Saltmere.", history=after,
                           budget_tokens=3000).messages  # fmt: skip
    assert first[:2] == second[:2]  # rules and campaign: byte-identical
    assert second[2]["content"].startswith(first[2]["content"])  # history only grew
    assert "I open the chest." in second[2]["content"] and "I open the chest." not in first[2]["content"]
    volatile_at = len(_rendered(first[:2])) + len("<|user|>\n") + len(first[2]["content"])
    assert _rendered(second)[:volatile_at] == _rendered(first)[:volatile_at]
    assert first[-1] != second[-1] and "Saltmere" in first[-1]["content"]  # the volatile part comes last
    same = build_context(state, [ChatLine("ann", None, "Hello?")], campaign="Lantern Keep",
                         summary="Brakka reached Saltmere.", history=history, budget_tokens=3000).messages  # fmt: skip
    assert same[:3] == first[:3]  # nothing new in the history: every message before the volatile one is equal


def test_private_lines_are_labelled_and_the_private_word_is_addressed_to_its_player() -> None:
    lines = [HistoryLine("whisper", "bob", "I keep the ruby.", T0, author_id=31, visible_to=(31,)),
             HistoryLine("whisper_reply", "DM", "It is warm in your palm.", T0, visible_to=(31,))]  # fmt: skip
    built = build_context(_state(), [ChatLine("bob", "Brakka", "Is anyone watching me?")], history=lines,
                          private_to="bob")  # fmt: skip
    story, tail = built.messages[2]["content"], built.messages[-1]["content"]
    assert "bob (playing Brakka), privately to the DM: I keep the ruby." in story
    assert "DM, privately to Brakka: It is warm in your palm." in story
    assert "A private word with the DM from bob" in tail and "The players' new messages" not in tail
    assert tail.endswith("</private message>")


async def test_the_turn_counts_with_the_backends_tokenizer_within_max_model_len() -> None:
    from dm.turn import DMTurn

    reply = {"narrative": "The door swings open.", "rolls": [], "rule_lookups": [], "effects": []}
    line = [ChatLine("bob", "Brakka", "I open the door.")]
    thought = await DMTurn(WordCountingBackend([reply])).think(_state(), line, campaign="Lantern Keep")
    budget = thought.budget
    assert budget["counter"] == "tokenizer" and budget["parts"]["rules"] == len(STANDING_RULES.split())
    assert budget["budget"] == 8192 - 700 - 600 and budget["used"] <= budget["budget"]
    small = await DMTurn(WordCountingBackend([reply]), window=4096).think(_state(), line, campaign="Lantern Keep")
    assert small.budget["budget"] == 4096 - 700 - 512  # MAX_MODEL_LEN, minus the reply and the follow-up reserve


class _Shelf:
    """A `CampaignSearch` over passages held in memory: the ten best passages for any query."""

    def __init__(self, chunks: list[Any]) -> None:
        self.chunks = chunks

    async def search(self, campaign_id: int, query: str, embedding: Any = None, scene: Any = None, limit: int = 10,
                     fuzzy: Any = None) -> list[Any]:  # fmt: skip
        return self.chunks[:limit]


async def test_the_turn_cites_and_grounds_only_the_passages_the_budget_kept() -> None:
    from dm.turn import DMTurn
    from persistence.interfaces import CampaignSearch, RetrievedChunk

    chunks = [RetrievedChunk(i, ("Saltmere", f"Area {i}"), i, "room", (), _words(100, f"p{i}x"), 1.0 - i / 100)
              for i in range(1, 11)]  # fmt: skip
    shelf = _Shelf(chunks)
    assert isinstance(shelf, CampaignSearch)
    reply = {"narrative": "The shrine is quiet.", "rolls": [], "rule_lookups": [], "effects": []}
    turn = DMTurn(WordCountingBackend([reply]), search=shelf, window=3072)
    thought = await turn.think(_state(), [ChatLine("bob", "Brakka", "I search.")], campaign_id=1, campaign="Keep")
    kept = thought.budget["kept"]["passages"]
    assert 0 < kept < 10 and thought.chunk_ids == list(range(1, kept + 1)) and len(thought.chunks) == kept
    shown = next(m["content"] for m in reversed(thought.prompt) if m["role"] == "user")
    assert f"Area {kept}, p." in shown and f"Area {kept + 1}, p." not in shown

"""The scripted backend, reply parsing/validation and the context check."""

from __future__ import annotations

import json

import pytest

from inference.base import check_context, parse_json_reply
from inference.errors import BackendOverloaded, BadReply, InferenceTimeout, PromptTooLong
from inference.gemini_backend import to_gemini_contents
from inference.scripted import ScriptedBackend, load_script

SCHEMA = {"type": "object", "properties": {"narrative": {"type": "string"}}, "required": ["narrative"],
          "additionalProperties": False}
MESSAGES = [{"role": "user", "content": "hello"}]


async def test_replays_in_order_then_cycles_and_records(tmp_path) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('# comment\n{"reply": {"narrative": "one"}}\n{"narrative": "two"}\n', encoding="utf-8")
    backend = ScriptedBackend.from_file(script)
    got = [(await backend.generate(MESSAGES, SCHEMA, max_tokens=9, temperature=0.1)).data["narrative"]
           for _ in range(3)]
    assert got == ["one", "two", "one"]
    assert backend.requests[0].max_tokens == 9 and backend.requests[0].schema == SCHEMA
    assert backend.requests[0].messages == ({"role": "user", "content": "hello"},)


async def test_scripted_errors_and_bad_replies() -> None:
    backend = ScriptedBackend([{"error": "timeout"}, {"error": "overloaded"}, {"text": "nope"},
                               {"reply": {"narrative": 3}}])
    with pytest.raises(InferenceTimeout):
        await backend.generate(MESSAGES, SCHEMA)
    with pytest.raises(BackendOverloaded):
        await backend.generate(MESSAGES, SCHEMA)
    with pytest.raises(BadReply, match="not JSON"):
        await backend.generate(MESSAGES, SCHEMA)
    with pytest.raises(BadReply, match="schema"):
        await backend.generate(MESSAGES, SCHEMA)


def test_load_script_accepts_a_json_list(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"narrative": "x"}]), encoding="utf-8")
    assert load_script(path) == [{"narrative": "x"}]


def test_parse_tolerates_a_code_fence_and_rejects_extra_keys() -> None:
    assert parse_json_reply('```json\n{"narrative": "hi"}\n```', SCHEMA, "t") == {"narrative": "hi"}
    with pytest.raises(BadReply):
        parse_json_reply('{"narrative": "hi", "extra": 1}', SCHEMA, "t")


def test_context_check_counts_prompt_plus_reply_budget() -> None:
    check_context("b", 3000, 1096, 4096)
    with pytest.raises(PromptTooLong) as caught:
        check_context("b", 3000, 1097, 4096)
    assert caught.value.context_window == 4096 and "fewer words" in caught.value.user_message


def test_gemini_contents_split_system_and_roles() -> None:
    system, contents = to_gemini_contents([{"role": "system", "content": "rules"},
                                           {"role": "user", "content": "hi"},
                                           {"role": "assistant", "content": "hello"}])
    assert system == "rules"
    assert [(c.role, c.parts[0].text) for c in contents] == [("user", "hi"), ("model", "hello")]


async def test_a_reply_for_another_kind_of_request_waits_for_its_own() -> None:
    """A play script of DM replies knows nothing of when the rolling summary falls due: the summary pass
    must not eat the next DM reply (and a summary entry waits for the summary pass)."""
    from dm.reply import reply_json_schema

    summary_schema = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
    dm_reply = {"narrative": "The fog lifts.", "rolls": [], "rule_lookups": [], "effects": []}
    backend = ScriptedBackend([dm_reply, {"summary": "They came by night."}])
    with pytest.raises(BadReply):
        await backend.generate([{"role": "user", "content": "summarise"}], summary_schema)
    first = await backend.generate([{"role": "user", "content": "I look."}], reply_json_schema())
    assert first.data["narrative"] == "The fog lifts."
    with pytest.raises(BadReply):
        await backend.generate([{"role": "user", "content": "I look again."}], reply_json_schema())
    assert (await backend.generate([{"role": "user", "content": "summarise"}], summary_schema)).data == {
        "summary": "They came by night."}
    raw = ScriptedBackend([{"text": "not json"}, {"error": "timeout"}])
    with pytest.raises(BadReply):  # raw text and errors are used in order, whatever was asked
        await raw.generate([{"role": "user", "content": "x"}], summary_schema)
    with pytest.raises(InferenceTimeout):
        await raw.generate([{"role": "user", "content": "x"}], summary_schema)

"""`friendly_message`: known errors read as their sentence, unknown ones as an apology with an error id
(the traceback goes to the log under that id), and the error trees it relies on."""

from __future__ import annotations

import logging
import re

import pytest

from dm.errors import DMError, NoCampaign, Unavailable
from game.errors import GameError, NotYourTurn
from gateway.cli import main
from gateway.errors import ConfigError, GatewayError, friendly_message
from gateway.settings import load_settings
from inference.errors import (
    BackendNotConfigured,
    DownloadError,
    InferenceError,
    NoGpu,
    SetupError,
    VllmNotInstalled,
)
from inference.registry import UnknownModel, find_model
from ingest.errors import IngestError, NotAnSrd
from persistence.errors import (
    DatabaseUnavailable,
    PersistenceError,
    RulesDatabaseEmpty,
    RulesLookupError,
    UnknownRulesEntry,
    UnknownRulesKind,
)
from persistence.rules_book import normalize_kind

KNOWN = [
    NoCampaign(),
    Unavailable("The model router"),
    NotYourTurn("Mira", "Brom"),
    ConfigError("Setting VLLM_PORT is invalid: not a number."),
    DatabaseUnavailable("connection refused"),
    UnknownRulesEntry("spells", "firebal", ["Fireball"]),
    RulesDatabaseEmpty(),
    DownloadError("gated", "Accept the licence first."),
    NoGpu(),
    BackendNotConfigured("gemini", ["embedded"]),
    VllmNotInstalled(),
    NotAnSrd("x.pdf", ["Spell Lists"]),
]


@pytest.mark.parametrize("exc", KNOWN, ids=lambda e: type(e).__name__)
def test_known_errors_read_as_their_own_sentence(exc: Exception) -> None:
    assert friendly_message(exc) == exc.user_message  # type: ignore[attr-defined]


def test_unknown_error_gets_an_apology_with_an_id_that_is_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        try:
            {}["boom"]
        except KeyError as exc:
            text = friendly_message(exc, context="a test")
    match = re.fullmatch(r"Sorry, something went wrong on our side \(error id ([0-9a-f]{8})\); "
                         r"the details are in the log\.", text)
    assert match, text
    assert "KeyError" not in text and "boom" not in text and "Traceback" not in text
    record = next(r for r in caplog.records if match.group(1) in r.getMessage())
    assert record.exc_info is not None and record.error_id == match.group(1)  # type: ignore[attr-defined]


def test_two_unknown_errors_get_different_ids() -> None:
    assert friendly_message(RuntimeError("a")) != friendly_message(RuntimeError("a"))


def test_a_secret_quoted_by_a_message_is_masked() -> None:
    exc = DatabaseUnavailable("could not reach postgresql://lk:hunter2-pw@db/x")
    text = friendly_message(exc, secrets=["hunter2-pw"])
    assert "hunter2-pw" not in text and "***" in text


def test_each_error_joins_its_packages_tree() -> None:
    assert isinstance(ConfigError("x"), GatewayError)
    for err in (DownloadError("x"), NoGpu(), BackendNotConfigured("xai"), VllmNotInstalled()):
        assert isinstance(err, SetupError) and isinstance(err, InferenceError)
    with pytest.raises(UnknownModel) as unknown:
        find_model("gpt-9")
    assert isinstance(unknown.value, InferenceError) and isinstance(unknown.value, KeyError)  # old callers still work
    assert "llama-3.1-8b" in unknown.value.user_message
    assert isinstance(NotAnSrd("x", []), IngestError) and isinstance(NoCampaign(), DMError)
    assert isinstance(NotYourTurn("a"), GameError)


def test_no_such_spell_is_not_a_database_failure() -> None:
    miss = UnknownRulesEntry("spells", "firebal", ["Fireball"])
    assert isinstance(miss, RulesLookupError) and not isinstance(miss, PersistenceError)
    assert isinstance(DatabaseUnavailable(), PersistenceError) and not isinstance(DatabaseUnavailable(), RulesLookupError)
    assert miss.suggestions == ["Fireball"] and "Did you mean: Fireball?" in miss.user_message
    with pytest.raises(UnknownRulesKind, match="try one of: spells"):
        normalize_kind("potion")
    assert isinstance(RulesDatabaseEmpty(), RulesLookupError)


def test_the_cli_prints_one_friendly_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    monkeypatch.setattr("gateway.commands.llm.read_gpus", lambda: None)
    assert main(["llm", "fit"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: No NVIDIA GPU found: pass --vram-gib to check a card you plan to use."


def test_the_cli_turns_an_unexpected_error_into_an_apology(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def broken() -> None:
        raise RuntimeError("internal detail with a path /etc/secret")

    monkeypatch.setattr("gateway.commands.llm._settings", broken)
    assert main(["llm", "fit", "--vram-gib", "12"]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Sorry, something went wrong on our side (error id ")
    assert "/etc/secret" not in last

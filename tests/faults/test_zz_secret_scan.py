"""Last in the suite (file order): every log line the suite wrote through the production log handler and
every output of its tests (captured stdout/stderr, failure reports, the replies tests recorded) is searched
for every configured secret (fake values set in the environment for the whole suite): 0 hits.

One test for each part of the suite, so both `make test` (fast part) and `make test-faults` (slow part) end
with the scan of what they ran."""

from __future__ import annotations

import logging

import pytest

from faults.fault_helpers import FAKE_SECRETS, all_secret_values, db_url, recorded


def leaks(records: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where, which secret) for every record holding a secret value."""
    secrets = all_secret_values()
    return [(where, secret[:6] + "…") for where, text in records for secret in secrets if secret in text]


def _provoke() -> None:
    """Log the secrets the ways code does by mistake: in the message, the args, a nested extra, an exception."""
    log = logging.getLogger("faults.provoke")
    log.warning("calling Gemini with key %s", FAKE_SECRETS["GEMINI_API_KEY"],
                extra={"request": {"headers": {"Authorization": f"Bearer {FAKE_SECRETS['XAI_API_KEY']}"}},
                       "tokens": [FAKE_SECRETS["DISCORD_TOKEN"], FAKE_SECRETS["HF_TOKEN"]]})  # fmt: skip
    try:
        raise ConnectionError(f"could not connect to {db_url()} (password p@ss-fake-DB-9Xr)")
    except ConnectionError:
        log.exception("database down")


def _scan() -> list[tuple[str, str]]:
    _provoke()
    records = recorded()
    assert any(where == "log" for where, _ in records), "nothing was logged: the scan would prove nothing"
    return leaks(records)


def test_the_scan_finds_a_planted_secret() -> None:
    assert leaks([("planted", f"token={FAKE_SECRETS['DISCORD_TOKEN']}")]) == [("planted", "MTk4Nj…")]


def test_no_secret_in_any_log_line_or_output_of_the_fast_suite() -> None:
    assert _scan() == []


@pytest.mark.faults
def test_no_secret_in_any_log_line_or_output_of_the_slow_suite() -> None:
    assert _scan() == []

"""The fault and security suite (tests/faults): fake secrets in the environment for every test here,
and a recorder of what the suite logs and prints, searched for those secrets by test_zz_secret_scan.py.

Marked by folder: `faults_fast` (the fast part, run by `make test`) unless a test is marked `faults`
(the slow part: `make test-faults`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.fault_helpers import _LOG_FILE, _OUTPUTS, DB_PASSWORD, FAKE_SECRETS, db_url  # noqa: F401


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid.replace("\\", "/") and item.get_closest_marker("faults") is None:
            item.add_marker(pytest.mark.faults_fast)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.nodeid.replace("\\", "/").startswith("tests/faults/"):
        return
    text = "\n".join(part for part in (report.capstdout, report.capstderr, report.longreprtext) if part)
    if text:
        _OUTPUTS.append((report.nodeid, text))


@pytest.fixture(scope="session")
def _suite_log() -> Iterator[logging.Handler]:
    """The production log handler (JSON lines, the project's redacting filter with the configured secrets),
    writing to the suite's log file."""
    from gateway.logging_setup import JsonFormatter, RedactingFilter
    from gateway.settings import load_settings

    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_SECRETS.items():
            patch.setenv(name, value)
        secrets = load_settings(database_url=db_url()).secret_values()
    handler = logging.FileHandler(_LOG_FILE, encoding="utf-8")
    handler.set_name("faults-suite")
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(secrets))
    yield handler
    handler.close()


@pytest.fixture(autouse=True)
def fake_secrets(monkeypatch: pytest.MonkeyPatch, _suite_log: logging.Handler) -> Iterator[dict[str, str]]:
    """Every configured secret set to a fake value, and the production log handler on the root logger."""
    from gateway.settings import get_settings

    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    root = logging.getLogger()
    level = root.level
    root.addHandler(_suite_log)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    yield dict(FAKE_SECRETS)
    root.removeHandler(_suite_log)
    root.setLevel(level)
    get_settings.cache_clear()

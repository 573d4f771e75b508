"""Helpers of the fault suite: Hypothesis over async code on the test's own event loop, the fake secrets and
the recorder of the suite's logs and outputs. Importing it puts tests/integration on `sys.path`, so a fault
test reuses the integration tests' helpers (stand-in servers, the party, the session-actor fixtures)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

__all__ = ["FAKE_SECRETS", "DB_PASSWORD", "all_secret_values", "db_url", "given_async", "record_output",
           "recorded"]

T = TypeVar("T")

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))

FAKE_SECRETS = {
    "DISCORD_TOKEN": "MTk4NjIy.fake-discord-token.Zx9Q2kLmN4",
    "GEMINI_API_KEY": "AIzaSy-fake-gemini-key-7Hq2Lw9",
    "XAI_API_KEY": "xai-fake-key-Qm4Rt8Vb1Nc6",
    "HF_TOKEN": "hf_fakeHuggingFaceToken5Jd8Ks",
}
DB_PASSWORD = "p@ss-fake-DB-9Xr"  # given to code as DATABASE_URL's escaped `p%40ss-fake-DB-9Xr`

_LOG_FILE = Path(tempfile.mkdtemp(prefix="lorekeeper-faults-")) / "suite.jsonl"
_OUTPUTS: list[tuple[str, str]] = []  # (test id, captured stdout/stderr/failure text)


def all_secret_values() -> list[str]:
    from urllib.parse import quote

    return [*FAKE_SECRETS.values(), DB_PASSWORD, quote(DB_PASSWORD, safe="")]


def db_url() -> str:
    """A DATABASE_URL carrying the fake password, URL-escaped (never connected to)."""
    from urllib.parse import quote

    return f"postgresql://lorekeeper:{quote(DB_PASSWORD, safe='')}@127.0.0.1:1/lorekeeper"


def recorded() -> list[tuple[str, str]]:
    """Everything recorded so far: the JSON log lines, and each finished test's output."""
    logs = _LOG_FILE.read_text(encoding="utf-8", errors="replace") if _LOG_FILE.exists() else ""
    return [("log", line) for line in logs.splitlines()] + list(_OUTPUTS)


def record_output(test_id: str, text: str) -> None:
    """A test's own outputs (replies, CLI lines) for the scan."""
    _OUTPUTS.append((test_id, text))


async def given_async(strategy: st.SearchStrategy[T], check: Callable[[T], Awaitable[Any]], *,
                      max_examples: int = 40) -> None:
    """Run Hypothesis (derandomized: the same examples every run) over `check`, an async function run on the
    calling test's loop (where the database pool lives), shrinking a failure to its smallest example."""
    loop = asyncio.get_running_loop()

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: T) -> None:
        asyncio.run_coroutine_threadsafe(check(value), loop).result(timeout=120)

    await asyncio.to_thread(run)

"""A throw-away data dir for the database benchmarks (not a benchmark itself: `_` keeps it unlisted).

Unless LOREKEEPER_DATA_DIR or DATABASE_URL is set, a benchmark runs against a fresh embedded
PostgreSQL in a temporary folder, which is stopped and deleted when the benchmark ends.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def run_in_scratch_dir(main: Callable[[], int]) -> int:
    """Run `main` with LOREKEEPER_DATA_DIR pointing at a temporary folder of its own, then clean up."""
    if os.environ.get("LOREKEEPER_DATA_DIR") or os.environ.get("DATABASE_URL"):
        return main()
    own = tempfile.mkdtemp(prefix="lorekeeper-bench-")
    os.environ["LOREKEEPER_DATA_DIR"] = own
    try:
        return main()
    finally:
        from gateway import database

        for server in database._embedded.values():
            server.stop()
        shutil.rmtree(own, ignore_errors=True)

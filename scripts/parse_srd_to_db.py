#!/usr/bin/env python
"""Parse the SRD 5.1 PDF into the rules database: a thin wrapper over `lorekeeper rules import`.

    python scripts/parse_srd_to_db.py [PATH] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["rules", "import", *sys.argv[1:]]))

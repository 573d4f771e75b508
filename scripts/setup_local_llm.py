#!/usr/bin/env python3
"""Download a Llama for vLLM, check it fits the GPU, and write the settings to `.env`.

A thin wrapper over `lorekeeper llm setup` (same options; see `--help`). Examples:

    python scripts/setup_local_llm.py                      # LOCAL_MODEL_NAME from Hugging Face (HF_TOKEN)
    python scripts/setup_local_llm.py --accept-recommendation --vram-gib 12
    python scripts/setup_local_llm.py --source meta --meta-url 'https://llama3-1.llamameta.net/*?Policy=...'
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["llm", "setup", *sys.argv[1:]]))

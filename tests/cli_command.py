"""How the end-to-end tests start the `lorekeeper` command in a child process."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

__all__ = ["lorekeeper_command"]


def lorekeeper_command() -> list[str]:
    """The installed `lorekeeper` script next to this Python, else `python -m gateway.cli`."""
    installed = shutil.which("lorekeeper", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "gateway.cli"]

#!/usr/bin/env python3
"""Import every PDF in a directory as a campaign named after the file (thin wrapper over `lorekeeper campaign import`).

Usage: scripts/convert_pdfs_to_db.py [DIR]   (default: data/campaigns)
A file that cannot be read is reported and skipped; the others are still imported.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from gateway.commands.campaign import import_pdfs  # noqa: E402
from gateway.logging_setup import configure_logging  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=REPO_ROOT / "data" / "campaigns")
    args = parser.parse_args(argv)
    configure_logging(verbose=False)
    pdfs = sorted(p for p in args.directory.iterdir() if p.suffix.lower() == ".pdf") if args.directory.is_dir() else []
    if not pdfs:
        print(f"No PDFs found in {args.directory}", file=sys.stderr)
        return 1
    failures = 0
    for pdf in pdfs:
        try:
            result = asyncio.run(import_pdfs([pdf], [pdf.stem]))[0]
        except Exception as exc:  # noqa: BLE001 - report and go on with the next file
            failures += 1
            print(f"{pdf.name}: {getattr(exc, 'user_message', exc)}", file=sys.stderr)
            continue
        print(f"{pdf.name} → campaign {pdf.stem!r}: {result['chunks']} chunks, {result['npcs']} NPCs, "
              f"{result['locations']} locations, {result['plot_threads']} plot threads")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

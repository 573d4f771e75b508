"""The `lorekeeper` command line.

Each command group lives in its own module under `gateway/commands/` and exposes
`register(subparsers)`; this module discovers them, so adding a command never edits
a shared list. A handler takes the parsed `argparse.Namespace` and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from gateway import commands
from gateway.logging_setup import configure_logging

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("lorekeeper")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lorekeeper",
        description="Lorekeeper: an AI Dungeon Master for D&D 5e.",
    )
    parser.add_argument("--version", action="version", version=f"lorekeeper {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # One-shot commands log warnings only; long-running ones (servers) set `default_log_level`.
    configure_logging(verbose=args.verbose, default_level=getattr(args, "default_log_level", "WARNING"))
    handler = getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one friendly line, never a traceback for known errors
        message = getattr(exc, "user_message", None)
        if message is None:
            log.exception("lorekeeper %s failed", args.command)
            message = f"{type(exc).__name__}: {exc}"
        print(f"error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The `lorekeeper` command line.

Each command group lives in its own module under `gateway/commands/` and exposes
`register(subparsers)`; this module discovers them, so adding a command never edits
a shared list. A handler takes the parsed `argparse.Namespace` and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from gateway import commands

__all__ = ["build_parser", "main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lorekeeper")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


class _VersionAction(argparse.Action):
    """`--version`, reading the installed metadata only when asked (importlib.metadata costs ~0.2 s)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"lorekeeper {_version()}")
        parser.exit()


def _command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI, or with `only` just that command group (its module alone is imported).

    Command modules import their heavy dependencies (pymupdf, the model SDKs, the database) inside
    their handlers, so building the whole parser (`lorekeeper --help`) stays well under a second.
    """
    parser = argparse.ArgumentParser(
        prog="lorekeeper",
        description="Lorekeeper: an AI Dungeon Master for D&D 5e.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        if only is None or name == only:
            importlib.import_module(f"{commands.__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a closed pipe (`lorekeeper rules export spells | head`) ends it quietly, as in any Unix tool."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Python's advice (docs: signal, "Note on SIGPIPE"): point stdout at devnull so the interpreter's
        # final flush does not raise again, and exit as a process killed by SIGPIPE would (128 + 13)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a file (captured in a test): nothing left to flush
            pass
        return 141


def _main(argv: Sequence[str] | None) -> int:
    from gateway.errors import friendly_message
    from gateway.logging_setup import configure_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    if named == "roll":
        from gateway.commands.roll import normalize_argv

        argv = normalize_argv(argv)
    parser = build_parser(named if named in _command_modules() else None)
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
    except BrokenPipeError:
        raise
    except Exception as exc:  # one friendly line; an unexpected error is logged under an error id
        print(f"error: {friendly_message(exc, secrets=_secrets(), context=f'lorekeeper {args.command}')}",
              file=sys.stderr)
        return 1


def _secrets() -> list[str]:
    try:
        from gateway.settings import get_settings

        return get_settings().secret_values()
    except Exception:  # noqa: BLE001 - a bad setting is the error being reported
        return []


if __name__ == "__main__":
    raise SystemExit(main())

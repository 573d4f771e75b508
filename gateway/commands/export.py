"""`lorekeeper export training`: the DM-turn log as chat-format fine-tuning examples (JSON Lines).

    lorekeeper export training [--campaign NAME] [--format jsonl] [--output FILE] [--since ISO-DATE]
                               [--accepted-only]

One JSON object per line: the messages the model was sent, then the model's reply JSON as the
assistant's message, with `metadata` (campaign, turn id, backend, model, time, accepted and refused
effect counts). Turns without a reply are skipped; the counts go to stderr, the examples to stdout
or `--output` (written to a temporary file first, so an interrupted export leaves no half file).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import IO, Any

__all__ = ["register"]

FORMATS = ("jsonl",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export logged data: training (fine-tuning examples)")
    what = parser.add_subparsers(dest="export_what", metavar="WHAT", required=True)
    training = what.add_parser(
        "training", help="the DM-turn log as chat-format fine-tuning examples",
        description="Write every logged DM turn with a reply as one chat example: the prompt's messages and "
        "the reply JSON as the assistant's answer, plus metadata.")
    training.add_argument("--campaign", metavar="NAME", help="only this campaign's turns")
    training.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default jsonl)")
    training.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    training.add_argument("--since", metavar="ISO-DATE", type=_iso_datetime,
                          help="only turns from this date or time on (UTC unless it names a zone)")
    training.add_argument("--accepted-only", action="store_true",
                          help="only turns where no proposed effect was refused")
    training.set_defaults(func=_training)


def _iso_datetime(text: str) -> datetime:
    """Parse 2026-12-01, 2026-12-01T18:30 or 2026-12-01T18:30:00+01:00; a naive time is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date, e.g. 2026-12-01 or "
                                         "2026-12-01T18:30:00+00:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _training(args: argparse.Namespace) -> int:
    import asyncio

    stats = asyncio.run(_export(args))
    target = args.output or "stdout"
    parts = [f"Wrote {stats['written']} training example{'s' if stats['written'] != 1 else ''} to {target}"]
    if stats["no_reply"]:
        parts.append(f"skipped {stats['no_reply']} turn{'s' if stats['no_reply'] != 1 else ''} with no reply")
    if stats["refused"]:
        parts.append(f"left out {stats['refused']} with a refused effect (--accepted-only)")
    print("; ".join(parts) + ".", file=sys.stderr)
    return 0


async def _export(args: argparse.Namespace) -> dict[str, int]:
    from gateway.database import open_database
    from gateway.settings import get_settings

    async with open_database(get_settings(), max_size=2) as db:
        if args.output is None:
            return await _write(db, args, sys.stdout)
        return await _write_file(db, args)


async def _write_file(db: Any, args: argparse.Namespace) -> dict[str, int]:
    import os
    from pathlib import Path

    path = Path(args.output)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            stats = await _write(db, args, out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return stats


async def _write(db: Any, args: argparse.Namespace, out: IO[str]) -> dict[str, int]:
    import json
    from contextlib import aclosing

    from dm.reply import DMReply
    from persistence.training_log import stream_turns, to_example

    key_order = tuple(DMReply.model_fields)  # the reply schema's property order
    stats = {"written": 0, "no_reply": 0, "refused": 0}
    async with aclosing(stream_turns(db, campaign=args.campaign, since=args.since)) as rows:
        async for row in rows:
            example = to_example(row, key_order=key_order)
            if example is None:
                stats["no_reply"] += 1
                continue
            if args.accepted_only and example["metadata"]["refused_effects"]:
                stats["refused"] += 1
                continue
            out.write(json.dumps(example, ensure_ascii=False) + "\n")
            stats["written"] += 1
    return stats

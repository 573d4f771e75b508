"""`lorekeeper replay`: re-run a campaign's logged DM turns against a model and show what changed.

    lorekeeper replay --campaign NAME [--llm BACKEND] [--limit N] [--json]

Each logged turn's last request is sent again (same messages) and both answers are judged by today's
parser and rules engine on the state the turn was played on (`dm.replay`): a reply that no longer
parses, effects accepted or refused differently, an ending that asks the players a question, numbers
in the prose that the engine did not produce. One block per turn, then a summary; `--json` prints
one object with `turns` and `summary`. The exit code is 0 when every turn behaves as logged, 3 when
any differs (usable as a regression check in CI), 1 on an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]

LLM_CHOICES = ("auto", "embedded", "vllm", "gemini", "xai")
DIFFERS = 3


def _llm(value: str) -> str:
    if value in LLM_CHOICES or value.startswith("scripted:"):
        return value
    raise argparse.ArgumentTypeError(f"choose one of {', '.join(LLM_CHOICES)} or scripted:PATH, not {value!r}")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--limit takes a whole number of turns, 1 or more, not {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay", help="re-run a campaign's logged DM turns against a model and show what changed",
        description="Send each logged DM turn's request to a model again and compare the new answer with the "
        "logged one, judged by today's parser and rules engine (exit 3 when any turn differs).")
    parser.add_argument("--campaign", required=True, metavar="NAME", help="the campaign whose turns to replay")
    parser.add_argument("--llm", type=_llm, default="auto",
                        help="the model to ask: auto, embedded, vllm, gemini, xai or scripted:PATH (default auto)")
    parser.add_argument("--limit", type=_positive, metavar="N", help="only the newest N turns")
    parser.add_argument("--json", action="store_true", help="print the diffs and the summary as JSON")
    parser.add_argument("--max-tokens", type=int, default=700, help="the reply budget per turn (default 700)")
    parser.set_defaults(func=_replay)


def _replay(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.commands.play import scripted_replies_readable

    if not scripted_replies_readable(args.llm):
        return 1
    diffs, summary = asyncio.run(_run(args))
    if args.json:
        print(json.dumps({"turns": [d.to_dict() for d in diffs], "summary": summary}, ensure_ascii=False))
    else:
        for diff in diffs:
            print(_block(diff))
        print(_summary_line(summary))
    if not diffs:
        print(f"Campaign {args.campaign!r} has no logged DM turns to replay yet.", file=sys.stderr)
    return DIFFERS if summary["changed"] else 0


def backend_for(llm: str) -> Any:
    """The backend `--llm` names: the scripted replies, one configured backend, or the router over all."""
    if llm.startswith("scripted:"):
        from inference.scripted import ScriptedBackend

        return ScriptedBackend.from_file(llm.removeprefix("scripted:"))
    from gateway.settings import get_settings
    from inference.errors import BackendNotConfigured
    from inference.factory import build_backend, inference_plan
    from inference.router import Router

    plan = inference_plan(get_settings())
    chosen = {name: config for name, config in plan.backends if llm in ("auto", name)}
    if not chosen:
        raise BackendNotConfigured(llm, plan.names)
    if llm != "auto":
        return build_backend(llm, chosen[llm])
    return Router({name: build_backend(name, config) for name, config in chosen.items()}, plan.router)


async def _run(args: argparse.Namespace) -> tuple[list[Any], dict[str, Any]]:
    from contextlib import aclosing

    from dm.replay import LoggedTurn, replay_turn, summarize
    from gateway.database import open_database
    from gateway.settings import get_settings
    from persistence.training_log import stream_turns

    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    async with open_database(get_settings(), max_size=2) as db:
        async with aclosing(stream_turns(db, campaign=args.campaign, latest=args.limit)) as rows:
            turns = [LoggedTurn.from_row(row) async for row in rows]
        rules = RulesBook(SrdRepository(db))  # gains are judged on the SRD too, as the live turn judged them
        backend = backend_for(args.llm)
        try:
            diffs = [await replay_turn(turn, backend, max_tokens=args.max_tokens, rules=rules) for turn in turns]
        finally:
            await backend.close()
    return diffs, summarize(diffs)


def _block(diff: Any) -> str:
    head = f"turn {diff.turn_id} ({diff.backend} → {diff.new_backend or 'no answer'}): "
    if diff.same:
        return head + "same"
    lines = [head + f"{len(diff.changes)} difference{'s' if len(diff.changes) != 1 else ''}"]
    lines += [f"  {change}" for change in diff.changes]
    if diff.new.parsed:
        lines.append(f"  new narrative: {_clip(diff.new.narrative)}")
    return "\n".join(lines)


def _clip(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _summary_line(summary: dict[str, Any]) -> str:
    parse, question, numbers = summary["parse_failures"], summary["ends_on_question"], summary["stray_numbers"]
    return (f"Replayed {summary['turns']} turn{'s' if summary['turns'] != 1 else ''}: {summary['same']} same, "
            f"{summary['changed']} changed ({summary['verdict_changes']} with other effect verdicts); "
            f"parse failures {parse['logged']} → {parse['new']}; ending on a question {question['logged']} → "
            f"{question['new']}; numbers not from the engine {numbers['logged']} → {numbers['new']}.")  # fmt: skip

"""`lorekeeper play`: the console game, on the same table (commands, state, exactly-once) as the bot.

    lorekeeper play [--campaign NAME] [--llm BACKEND] [--script FILE] [--transcript FILE.jsonl] [--ray]
                    [--seed N] [--owner NAME] [--no-rules]

The first run imports the SRD 5.1 shipped in data/srd/ and the sample adventure in data/campaigns/
into the (embedded) database; later runs reuse them and the campaign's saved state.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from gateway.commands._play_common import (DEFAULT_SRD_PDF, SAMPLE_CAMPAIGN, SAMPLE_CAMPAIGN_PDF, load_rules,
                                           open_campaign, stdin_lines)
from gateway.storyteller import storyteller_backend


__all__ = ["register", "scripted_replies_readable", "DEFAULT_SRD_PDF", "SAMPLE_CAMPAIGN_PDF", "SAMPLE_CAMPAIGN"]

LLM_CHOICES = ("auto", "embedded", "vllm", "gemini", "xai")


def _llm(value: str) -> str:
    if value in LLM_CHOICES or value.startswith("scripted:"):
        return value
    raise argparse.ArgumentTypeError(f"choose one of {', '.join(LLM_CHOICES)} or scripted:PATH, not {value!r}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play in the console (stdin or a script file)")
    parser.add_argument("--campaign", help=f"the campaign to play (default: the sample adventure, {SAMPLE_CAMPAIGN})")
    parser.add_argument("--llm", type=_llm, default="auto",
                        help="the storyteller's model: auto, embedded, vllm, gemini, xai or scripted:PATH")
    parser.add_argument("--script", type=Path, help="a file of `player: message` lines to play through")
    parser.add_argument("--transcript", type=Path, help="append every message seen or said to this JSON Lines file")
    parser.add_argument("--ray", action="store_true", help="run the session in a session actor on Ray")
    parser.add_argument("--address", default=None,
                        help="with --ray: the Ray cluster to join (auto: the one `ray start --head` started; "
                             "default: a local Ray for this run)")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice for a reproducible game")
    parser.add_argument("--owner", help="the player who may use owner-only commands (default: the first to speak)")
    parser.add_argument("--no-rules", action="store_true", help="skip the SRD rules database")
    parser.set_defaults(func=_play)


def _narrator(llm: str, db: Any = None, backend: Any = None) -> Any:
    """The DM turn on `backend` (default: `storyteller_backend(llm)`). Its tier follows the model that answers:
    a capable model writes the whole turn; the embedded one reads the module (dm.reader), from the campaign's
    extracted world and its passages."""
    from dm.turn import DMTurn
    from gateway.settings import get_settings
    from persistence.canon import CanonRepository
    from persistence.retrieval import CampaignRetriever
    from persistence.world import WorldRepository

    scripted = llm.startswith("scripted:")
    # the prompt fits MAX_MODEL_LEN (minus the reply budget); the history comes from the table's message log
    return DMTurn(backend or storyteller_backend(llm), window=get_settings().max_model_len,
                  canon=None if db is None else CanonRepository(db),  # the stored canon ledger (dm.canon_gate)
                  world=None if db is None else WorldRepository(db),
                  search=None if db is None or scripted else CampaignRetriever(db))  # fmt: skip


async def _run(args: argparse.Namespace, lines: list[str] | None, backend: Any = None) -> int:
    from gateway.console import BANNER, ConsoleGame, Transcript
    from gateway.database import open_database
    from gateway.observability import start_monitoring
    from gateway.settings import get_settings
    from gateway.wiring import open_table
    from persistence.play_state import PlayStateRepository, console_channel_id

    settings = get_settings()
    start_monitoring(settings)  # /metrics on METRICS_PORT while the game runs (a taken port: a warning)
    async with open_database(settings) as db:
        rules = await load_rules(db, not args.no_rules)
        campaign = await open_campaign(db, args.campaign)
        channel = console_channel_id(campaign.id)
        store = PlayStateRepository(db)
        await store.bind_channel(campaign.id, channel)
        backend = backend or storyteller_backend(args.llm, settings)
        router = backend if hasattr(backend, "next_backend") else None  # !model_status, !fallback_api
        table = await open_table(settings, db, seed=args.seed, rules=rules, router=router,
                                 narrator=_narrator(args.llm, db, backend))  # fmt: skip
        if args.no_rules:
            table.rules_off = "it is switched off in this game (--no-rules)"
        transcript = Transcript.open(args.transcript) if args.transcript else None
        try:
            game = ConsoleGame(table, channel, owner=args.owner, transcript=transcript,
                               config=settings.session_config(), clock=_clock(lines))  # fmt: skip
            if lines is None:
                print(BANNER, flush=True)
            print(f"Campaign: {campaign.name}.", flush=True)
            await game.run(lines if lines is not None else stdin_lines(), lambda text: print(text, flush=True))
        finally:
            if transcript:
                transcript.close()
            await backend.close()
    return 0


def _clock(lines: list[str] | None) -> Any:
    """A script (or piped stdin) plays on a virtual clock its `wait SECONDS` lines move; a terminal on real time."""
    from dm.session import ManualClock, MonotonicClock

    return MonotonicClock() if lines is None and sys.stdin.isatty() else ManualClock()


def scripted_replies_readable(llm: str) -> bool:
    """For `--llm scripted:PATH`: whether the canned replies can be read (if not, says why on stderr)."""
    if not llm.startswith("scripted:"):
        return True
    from inference.scripted import load_script

    try:
        load_script(llm.removeprefix("scripted:"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"error: I can't read the scripted replies {llm.removeprefix('scripted:')}: {exc}", file=sys.stderr)
        return False
    return True


def _play(args: argparse.Namespace) -> int:
    lines = None
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: I can't read the script {args.script}: {exc}", file=sys.stderr)
            return 1
    if not scripted_replies_readable(args.llm):
        return 1
    if args.ray:  # the session (and the model) live in actors: gateway/commands/_play_ray.py
        from gateway.commands._play_ray import run_ray

        return asyncio.run(run_ray(args, lines))
    from inference.errors import BackendNotConfigured

    try:
        backend = storyteller_backend(args.llm)
    except BackendNotConfigured as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
    return asyncio.run(_run(args, lines, backend))

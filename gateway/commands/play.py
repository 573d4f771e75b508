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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]     # gateway.settings.REPO_ROOT without loading pydantic for --help

__all__ = ["register", "DEFAULT_SRD_PDF", "SAMPLE_CAMPAIGN_PDF", "SAMPLE_CAMPAIGN"]

DEFAULT_SRD_PDF = REPO_ROOT / "data" / "srd" / "SRD5.1-CCBY4.0License.pdf"
SAMPLE_CAMPAIGN_PDF = REPO_ROOT / "data" / "campaigns" / "the-drowned-lantern.pdf"
SAMPLE_CAMPAIGN = SAMPLE_CAMPAIGN_PDF.stem
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
    parser.add_argument("--ray", action="store_true", help="run the session on a local Ray (session actors)")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice for a reproducible game")
    parser.add_argument("--owner", help="the player who may use owner-only commands (default: the first to speak)")
    parser.add_argument("--no-rules", action="store_true", help="skip the SRD rules database")
    parser.set_defaults(func=_play)


async def _stdin_lines() -> AsyncIterator[str]:
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = await asyncio.to_thread(input, "> ") if interactive else await asyncio.to_thread(sys.stdin.readline)
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line


async def _rules(db: Any, enabled: bool) -> Any:
    if not enabled:
        return None
    from ingest.srd.service import ensure_srd
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    await ensure_srd(db, DEFAULT_SRD_PDF, announce=lambda: print(
        "Importing the SRD 5.1 rules into the database (first run only, a few seconds)...", flush=True))
    return RulesBook(SrdRepository(db))


async def _campaign(db: Any, name: str | None) -> Any:
    from persistence.errors import UnknownCampaign
    from persistence.play_state import PlayStateRepository

    repo = PlayStateRepository(db)
    found = await repo.find_campaign(name or SAMPLE_CAMPAIGN)
    if found is not None:
        return found
    if name is not None and name.lower() != SAMPLE_CAMPAIGN:
        raise UnknownCampaign(name, await repo.campaign_names())
    from ingest.campaign.service import import_campaign_pdf

    print("Importing the sample adventure, The Drowned Lantern (first run only)...", flush=True)
    await import_campaign_pdf(db, SAMPLE_CAMPAIGN_PDF, SAMPLE_CAMPAIGN)
    found = await repo.find_campaign(SAMPLE_CAMPAIGN)
    assert found is not None
    return found


def _narrator(llm: str, db: Any = None) -> Any:
    """The DM turn for `--llm scripted:PATH` (canned replies); None otherwise: the other tiers arrive later and
    plain talk keeps waiting for the storyteller."""
    if not llm.startswith("scripted:"):
        return None
    from dm.turn import DMTurn
    from gateway.settings import get_settings
    from inference.scripted import ScriptedBackend
    from persistence.canon import CanonRepository

    # the prompt fits MAX_MODEL_LEN (minus the reply budget); the history comes from the table's message log
    return DMTurn(ScriptedBackend.from_file(llm.removeprefix("scripted:")), window=get_settings().max_model_len,
                  canon=None if db is None else CanonRepository(db))  # the stored canon ledger (dm.canon_gate)


async def _run(args: argparse.Namespace, lines: list[str] | None) -> int:
    from gateway.console import BANNER, ConsoleGame, Transcript
    from gateway.database import open_database
    from gateway.settings import get_settings
    from gateway.wiring import open_table
    from persistence.play_state import PlayStateRepository, console_channel_id

    settings = get_settings()
    async with open_database(settings) as db:
        rules = await _rules(db, not args.no_rules)
        campaign = await _campaign(db, args.campaign)
        channel = console_channel_id(campaign.id)
        store = PlayStateRepository(db)
        await store.bind_channel(campaign.id, channel)
        table = await open_table(settings, db, seed=args.seed, rules=rules, narrator=_narrator(args.llm, db))
        if args.no_rules:
            table.rules_off = "it is switched off in this game (--no-rules)"
        transcript = Transcript.open(args.transcript) if args.transcript else None
        try:
            game = ConsoleGame(table, channel, owner=args.owner, transcript=transcript)
            if lines is None:
                print(BANNER, flush=True)
            print(f"Campaign: {campaign.name}.", flush=True)
            await game.run(lines if lines is not None else _stdin_lines(), lambda text: print(text, flush=True))
        finally:
            if transcript:
                transcript.close()
    return 0


def _play(args: argparse.Namespace) -> int:
    if args.ray:
        print("error: --ray arrives with the session actors; play without it for now.", file=sys.stderr)
        return 2
    lines = None
    if args.script is not None:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: I can't read the script {args.script}: {exc}", file=sys.stderr)
            return 1
    if args.llm.startswith("scripted:"):
        from inference.scripted import load_script

        try:
            load_script(args.llm.removeprefix("scripted:"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"error: I can't read the scripted replies {args.llm.removeprefix('scripted:')}: {exc}",
                  file=sys.stderr)
            return 1
    return asyncio.run(_run(args, lines))

"""`lorekeeper play --ray`: the console game with its session in a `SessionActor` on Ray.

The console prepares the database as `lorekeeper play` does (migrations, the SRD, the campaign bound to its
console channel), then joins Ray (`--address`: a running cluster, e.g. `auto` after `ray start --head`; default:
a local Ray started for this run), starts a `SessionDirector` with its `PersistenceActor`, and plays through the
channel's session actor: commands are answered at once, a batch's answer is printed when the actor sends it.
The session runs on real time in the actor, so a script's `wait SECONDS` really waits (at most 60 s a line).
Without a scripted model the turns go to an `InferenceRouter` actor over this machine's backends.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["console_on_actor", "run_ray"]


def _defaults(args: argparse.Namespace, settings: Any) -> dict[str, Any]:
    from actors.director import NAMESPACE

    llm = args.llm
    defaults: dict[str, Any] = {"seed": args.seed, "rules": not args.no_rules, "config": settings.session_config()}
    if llm.startswith("scripted:"):  # the actor's working directory is not ours: an absolute path
        defaults["llm"] = "scripted:" + str(Path(llm.removeprefix("scripted:")).resolve())
        return defaults
    from actors.inference import InferenceRouter
    from inference.factory import inference_plan

    plan = inference_plan(settings)
    if llm != "auto":
        plan = type(plan)(backends=tuple((n, c) for n, c in plan.backends if n == llm), router=plan.router)
    defaults["router"] = InferenceRouter.options(name="inference-router", namespace=NAMESPACE,
                                                 get_if_exists=True).remote(plan)  # fmt: skip
    return defaults


async def _prepare(args: argparse.Namespace, settings: Any) -> tuple[Any, int]:
    """Migrate, import the SRD and the campaign if needed, bind its console channel: (campaign, channel)."""
    from gateway.commands._play_common import load_rules, open_campaign
    from gateway.database import open_database
    from persistence.play_state import PlayStateRepository, console_channel_id

    async with open_database(settings) as db:
        await load_rules(db, not args.no_rules)
        campaign = await open_campaign(db, args.campaign)
        channel = console_channel_id(campaign.id)
        await PlayStateRepository(db).bind_channel(campaign.id, channel)
    return campaign, channel


def console_on_actor(actor: Any, channel: int, **console: Any) -> Any:
    """A `ConsoleGame` whose session is the `SessionActor` `actor` (real time: the actor ticks itself)."""
    from dm.session import MonotonicClock
    from gateway.console import ConsoleGame
    from gateway.remote_session import RemoteSession

    session = RemoteSession(actor)
    game = ConsoleGame(session, channel, clock=MonotonicClock(), **console)  # type: ignore[arg-type]
    game.session, session.send = session, game._sent  # type: ignore[assignment]  # noqa: SLF001
    return game


async def run_ray(args: argparse.Namespace, lines: list[str] | None) -> int:
    import ray

    from actors.director import NAMESPACE, start_director
    from gateway.commands._play_common import stdin_lines
    from gateway.console import BANNER, Transcript
    from gateway.database import resolve_conninfo
    from gateway.observability import start_monitoring
    from gateway.settings import get_settings

    settings = get_settings()
    start_monitoring(settings)  # this process's figures; the sessions' own live in their actors
    campaign, channel = await _prepare(args, settings)
    conninfo = resolve_conninfo(settings)  # the embedded server started above keeps running for the actors
    ray.init(address=getattr(args, "address", None), namespace=NAMESPACE, include_dashboard=False,
             log_to_driver=False, configure_logging=False)  # fmt: skip
    director = start_director(conninfo, defaults=_defaults(args, settings), detached=False)
    transcript = Transcript.open(args.transcript) if args.transcript else None
    try:
        game = console_on_actor(await director.session.remote(channel), channel, owner=args.owner,
                                transcript=transcript, config=settings.session_config())  # fmt: skip
        if lines is None:
            print(BANNER, flush=True)
        print(f"Campaign: {campaign.name} (session actor on Ray).", flush=True)
        await game.run(lines if lines is not None else stdin_lines(), lambda text: print(text, flush=True))
    except Exception as exc:  # noqa: BLE001 - Ray or the actor failed: say so plainly
        print(f"error: the Ray session failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if transcript:
            transcript.close()
        try:
            await director.shutdown.remote()
        finally:
            ray.shutdown()
    return 0

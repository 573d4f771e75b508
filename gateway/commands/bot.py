"""`lorekeeper bot`: the Discord bot, on the same table and sessions as `lorekeeper play`.

    lorekeeper bot [--address auto] [--llm BACKEND] [--no-ray] [--seed N] [--no-rules]

Needs DISCORD_TOKEN (and usually BOT_CHANNEL_ID, OWNER_ID). The first run imports the SRD like `play` does.
Sessions run in `SessionActor`s on Ray: `--address auto` joins the cluster `ray start --head` started; without
it the bot starts a local Ray for its own run. `--no-ray` runs the sessions in the bot's process instead (no
vLLM supervision then). With Ray, when a GPU is present and the local model server is configured (VLLM_HOST
is this machine and `vllm` in LLM_BACKEND_ORDER), the GPU-pinned `actors.inference.VLLMActor` launches and
supervises `vllm serve` in the background; the router's fallbacks answer while it warms up. The Prometheus
exporter (`monitoring.metrics.start_exporter`) is started when present.

`build_bot(settings, db, backend=...)` is the wiring the tests use too (in-process sessions).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from gateway.commands.play import _llm, scripted_replies_readable

__all__ = ["build_bot", "launch_vllm", "register", "start_metrics"]

log = logging.getLogger(__name__)

NO_TOKEN = ("error: DISCORD_TOKEN is not set. Create a bot in the Discord developer portal (see the README, "
            "'Running the Discord bot'), then put DISCORD_TOKEN=... in .env or the environment.")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bot", help="run the Discord bot (needs DISCORD_TOKEN)")
    parser.add_argument("--address", default=None,
                        help="the Ray cluster to join (auto: the one `ray start --head` started; "
                             "default: a local Ray for this run)")  # fmt: skip
    parser.add_argument("--no-ray", action="store_true", help="run the sessions in this process (no Ray)")
    parser.add_argument("--llm", type=_llm, default="auto",
                        help="the storyteller's model: auto, embedded, vllm, gemini, xai or scripted:PATH")
    parser.add_argument("--seed", type=int, default=None, help="seed the dice (tests, demos)")
    parser.add_argument("--no-rules", action="store_true", help="skip the SRD rules database")
    parser.set_defaults(func=_bot)


async def build_bot(settings: Any, db: Any, *, backend: Any, llm: str = "auto", rules: Any = None,
                    seed: int | None = None, router: Any = None, vllm: Any = None, sessions: Any = None,
                    config: Any = None, clock: Any = None, tick_s: float | None = None,
                    **options: Any) -> Any:  # fmt: skip
    """A `LorekeeperBot` over a table on `db` whose narrator runs on `backend`. `sessions`: a hub session
    factory (default: in-process sessions on that table); `options` go to discord.py's client."""
    from gateway.commands.play import _narrator
    from gateway.discord.bot import LorekeeperBot, optional_module
    from gateway.discord.hub import TICK_S, SessionHub, local_sessions
    from gateway.wiring import open_table

    table = await open_table(settings, db, seed=seed, rules=rules, router=router, vllm=vllm,
                             narrator=_narrator(llm, db, backend))  # fmt: skip
    if rules is None:
        table.rules_off = "the rules database is switched off for this bot (--no-rules)"
    factory = sessions(table) if sessions is not None else local_sessions(
        table, config=config or settings.session_config(), clock=clock)
    hub = SessionHub(factory, tick_s=tick_s or TICK_S)
    bot = LorekeeperBot(settings, hub, db=db, **options)
    bot.table = table  # type: ignore[attr-defined]
    streaming = optional_module("streaming")
    if streaming is not None and hasattr(streaming, "attach"):  # narration drafts edited in as they come
        streaming.attach(bot, table.narrator)
    return bot


def start_metrics(settings: Any = None) -> int | None:
    """Monitoring: `gateway.observability.start_monitoring` (observers + exporter) when it exists, else
    `monitoring.metrics.start_exporter`; its port, or None (switched off, absent, or the port taken)."""
    try:
        if settings is not None:
            try:
                from gateway.observability import start_monitoring
            except ImportError:
                start_monitoring = None
            if start_monitoring is not None:
                port = start_monitoring(settings)
                return port if isinstance(port, int) else None
        from monitoring import metrics

        start = getattr(metrics, "start_exporter", None)
        port = start() if start is not None else None
    except Exception as exc:  # noqa: BLE001 - monitoring never stops the bot
        log.warning("metrics exporter not started: %s", exc)
        return None
    return port if isinstance(port, int) else None


def launch_vllm(settings: Any, **server_changes: Any) -> Any:
    """With a GPU and a local vLLM configured: the GPU-pinned `VLLMActor`, asked to start and supervise
    `vllm serve` in the background (not awaited: the fallbacks answer while it loads). Else None.
    Ray must be initialised. `server_changes` adjust the `VLLMServerConfig` (tests: a stand-in executable)."""
    from monitoring.gpu import read_gpus

    gpus = read_gpus() or []
    if not gpus:
        return None
    from actors.director import NAMESPACE
    from actors.inference import VLLMActor
    from inference.factory import inference_plan, server_config, vllm_is_local

    if not vllm_is_local(settings):
        return None
    client = dict(inference_plan(settings, gpus=gpus).backends).get("vllm")
    if client is None:  # not in LLM_BACKEND_ORDER
        return None
    actor = VLLMActor.options(name="vllm-server", namespace=NAMESPACE, get_if_exists=True).remote(
        server_config(settings, **server_changes), client)
    actor.start.remote()  # the manager restarts a crashed server; `!model_status` shows its state
    log.info("launching vLLM (%s) on the GPU; the fallbacks answer until it is ready", settings.local_model_name)
    return actor


def _bot(args: argparse.Namespace) -> int:
    from gateway.errors import ConfigError
    from gateway.settings import get_settings

    try:
        settings = get_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if settings.discord_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not scripted_replies_readable(args.llm):
        return 1
    try:
        return asyncio.run(_run(args, settings))
    except KeyboardInterrupt:
        return 0


async def _run(args: argparse.Namespace, settings: Any, on_start: Any = None) -> int:
    """The bot until it is closed (a signal, Discord refusing the token). `on_start(bot)` is called once the
    bot is built (tests hold on to it to close it)."""
    import discord

    from gateway.commands._play_common import load_rules
    from gateway.database import open_database

    start_metrics(settings)
    async with open_database(settings) as db:
        rules = await load_rules(db, not args.no_rules)
        from gateway.storyteller import storyteller_backend
        from inference.errors import BackendNotConfigured

        try:  # the bot's own table answers channels no campaign is bound to yet (and everything with --no-ray)
            backend = storyteller_backend(args.llm, settings)
        except BackendNotConfigured as exc:
            print(f"error: {exc.user_message}", file=sys.stderr)
            return 1
        ray_on = not args.no_ray
        extra: dict[str, Any] = _on_ray(args, settings) if ray_on else {}
        router = backend if hasattr(backend, "next_backend") else None
        bot = await build_bot(settings, db, backend=backend, llm=args.llm, rules=rules, seed=args.seed,
                              router=router, vllm=extra.get("vllm"), sessions=extra.get("sessions"))  # fmt: skip
        taken = _stop_on_signals(bot)
        if on_start is not None:
            on_start(bot)
        try:
            await bot.start(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            print("error: Discord refused DISCORD_TOKEN (check it in the developer portal).", file=sys.stderr)
            return 2
        except discord.PrivilegedIntentsRequired:
            print("error: turn on the Message Content intent for the bot in the developer portal.", file=sys.stderr)
            return 2
        finally:
            _restore_signals(taken)
            if not bot.is_closed():
                await bot.close()
            await backend.close()
            if ray_on:
                _leave_ray(extra)
    return 0


def _on_ray(args: argparse.Namespace, settings: Any) -> dict[str, Any]:
    """Join (or start) Ray, start the session director and, with a GPU, the vLLM actor."""
    import ray

    from actors.director import NAMESPACE, start_director
    from gateway.commands._play_ray import _defaults
    from gateway.database import resolve_conninfo

    conninfo = resolve_conninfo(settings)
    ray.init(address=args.address, namespace=NAMESPACE, include_dashboard=False, log_to_driver=False,
             configure_logging=False)  # fmt: skip
    vllm = launch_vllm(settings)
    defaults = _defaults(args, settings) | {"owner_id": settings.owner_id}  # OWNER_ID runs the owner's commands
    director = start_director(conninfo, defaults=defaults, detached=args.address is not None)
    return {"director": director, "vllm": vllm, "sessions": _ray_sessions(director)}


def _ray_sessions(director: Any) -> Any:
    """The hub's factory on Ray: a bound channel's `SessionActor`; an unbound one (before `!load_campaign`) a
    provisional in-process session on the bot's table, dropped once the channel is bound."""
    from gateway.discord.hub import local_sessions, remote_sessions

    def make(table: Any) -> Any:
        remote, local = remote_sessions(director), local_sessions(table)

        async def factory(channel_id: int, send: Any) -> Any:
            try:
                return await remote(channel_id, send)
            except Exception as exc:  # noqa: BLE001 - NoCampaign arrives wrapped in a RayTaskError
                if "No campaign is bound" not in str(exc):
                    raise
            session = await local(channel_id, send)
            session.provisional = True  # type: ignore[attr-defined]
            return session

        return factory

    return make


def _leave_ray(extra: dict[str, Any]) -> None:
    """Leave Ray without asking the sessions to answer what is open (the director's shutdown would): open
    batches stay pending in the database. A local Ray ends with the bot; on a joined cluster the detached
    session actors stay, and the next bot drains their outbox."""
    import ray

    ray.shutdown()


def _stop_on_signals(bot: Any) -> list[signal.Signals]:
    """SIGTERM/SIGINT close the bot cleanly (pending messages stay pending); returns the signals taken over."""
    loop = asyncio.get_running_loop()
    taken = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            taken.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass
    return taken


def _restore_signals(taken: list[signal.Signals]) -> None:
    loop = asyncio.get_running_loop()
    for sig in taken:
        loop.remove_signal_handler(sig)

"""Start-up wiring in one place: typed `Settings` → the table and the services its commands reach.

    async with open_database(settings) as db:
        table = await open_table(settings, db, seed=7)             # rules, message log, play state, services
        replies = await table.handle(PlayerMessage(channel, message_id, author_id, "mira", "!model_status"))

`open_table(settings, db, *, seed=None, owner_id=None, rules="auto", router=None, vllm=None, narrator=None)`
builds a `dm.table.Table` on `PlayStateRepository` + `MessageLog` + the SRD `RulesBook` (`rules=None`:
no rules lookups; or pass your own) + `Services` + `CampaignBuilder` (the rows `!new_campaign` writes; the
storyteller is the narrator's backend). `owner_id` defaults to OWNER_ID. `router` is the live
model router (an `inference.router.Router`, or the `InferenceRouter` actor handle), `vllm` the
`VLLMActor` handle; without them the model commands say the router is not running, and
`!model_status` reports the configured plan without loading or calling any model.

`Services` is the `dm.commands.context.TableServices` the system, admin and campaign commands use. It
reports only what is safe to show: which backends are configured (a key is "set", never shown), hosts
and ports, model names, CPU, memory and GPU figures — never a token, key or database password.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from dataclasses import dataclass, field
from typing import Any

from dm.commands.context import CampaignInfo
from dm.errors import Unavailable
from dm.table import Narrator, Table
from gateway.observability import install_observers
from gateway.settings import Settings
from inference.factory import inference_plan, vllm_is_local
from inference.registry import find_model
from monitoring import status as live_figures
from monitoring.gpu import read_gpus
from monitoring.host import memory_bytes
from persistence.database import Database
from persistence.campaign_builder import CampaignBuilder
from persistence.errors import UnknownCampaign
from persistence.messages import MessageLog
from persistence.play_state import PlayStateRepository

__all__ = ["Services", "host_stats", "open_table"]

_PROBE_TIMEOUT_S = 0.5
_HEALTH_TIMEOUT_S = 5.0


async def _call(target: Any, method: str, *args: Any) -> Any:
    """Call `method` on a plain object or a Ray actor handle (`.remote`), awaiting whatever comes back."""
    fn = getattr(target, method)
    result = fn.remote(*args) if hasattr(fn, "remote") else fn(*args)
    return await result if inspect.isawaitable(result) else result


async def _reachable(host: str, port: int, timeout_s: float = _PROBE_TIMEOUT_S) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


def _embedded_model_present() -> bool:
    from inference.embedded_model import default_gguf_path

    try:
        return default_gguf_path().is_file()
    except FileNotFoundError:
        return False


def _memory() -> dict[str, Any]:
    amounts = memory_bytes()
    if amounts is None:
        return {}
    total, available = amounts
    return {"total_gib": round(total / 2**30, 1), "available_gib": round(available / 2**30, 1),
            "used_pct": round(100 * (total - available) / total, 1)}  # fmt: skip


def host_stats() -> dict[str, Any]:
    """CPU, memory and GPU figures of this host (no secrets; no network)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    from monitoring.host import cpu_utilization

    busy = cpu_utilization()
    return {
        "cpu": {"count": os.cpu_count() or 0, "load_1_5_15": load,
                "busy_pct": None if busy is None else round(100 * busy, 1)},
        "memory": _memory(),
        "gpus": live_figures.gpu_summary(),  # the exporter's cached NVML read; [] = no GPU
    }  # fmt: skip


@dataclass
class Services:
    """The `TableServices` of a running Lorekeeper (see the module docstring)."""

    settings: Settings
    db: Database | None = None
    router: Any = None  # inference.router.Router or the InferenceRouter actor handle
    vllm: Any = None  # the VLLMActor handle, for !switch_model
    table: Table | None = None  # set by open_table: how many channels are in play
    started: float = field(default_factory=time.monotonic)

    # --- the model ---------------------------------------------------------------------------------

    async def model_status(self) -> dict[str, Any]:
        s = self.settings
        gpus = read_gpus() or []
        plan = inference_plan(s, gpus=gpus)
        status: dict[str, Any] = {
            "order": plan.names,
            "configured": {
                "vllm": "vllm" in plan.names,
                "gemini": "key set" if s.gemini_api_key is not None else "no key",
                "xai": "key set" if s.xai_api_key is not None else "no key",
                "embedded": "model present" if _embedded_model_present() else "model missing",
            },
            "local_model": s.local_model_name,
            "context_length": s.max_model_len,
            "vllm": {"host": s.vllm_host, "port": s.vllm_port, "remote": not vllm_is_local(s),
                     "reachable": await _reachable(s.vllm_host, s.vllm_port)},
            "gemini_model": s.gemini_model if s.gemini_api_key is not None else None,
            "xai_model": s.xai_model if s.xai_api_key is not None else None,
            "gpu": bool(gpus),
            "router": None,
        }  # fmt: skip
        if self.router is not None:
            try:
                live = dict(await _call(self.router, "status"))
                live["health"] = await asyncio.wait_for(_call(self.router, "check_health"), _HEALTH_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - a dead or slow router is a status, not a crash
                live = {"error": f"the router did not answer ({type(exc).__name__})"}
            status["router"] = live
        status["in_use"] = self._in_use(status)
        live_order = (status["router"] or {}).get("order") if isinstance(status["router"], dict) else None
        status["models"] = _models(s, live_order or plan.names)
        # the calls this process made, and on Ray the router's and backends' actors' (monitoring.relay)
        status["speed"] = await asyncio.to_thread(live_figures.llm_summary, relayed=True)
        return status

    @staticmethod
    def _in_use(status: dict[str, Any]) -> str | None:
        """The backend a turn would go to first: the live router's first closed breaker, else the plan's first."""
        live = status.get("router") or {}
        backends = live.get("backends") if isinstance(live, dict) else None
        if backends:
            health = live.get("health") or {}
            for name in live.get("order", []):
                if backends.get(name, {}).get("breaker") != "open" and health.get(name, True):
                    return name
            return None
        order = status["order"]
        if order and order[0] == "vllm" and not status["vllm"]["reachable"]:
            return order[1] if len(order) > 1 else None
        return order[0] if order else None

    async def switch_model(self, name: str) -> str:
        spec = find_model(name)  # UnknownModel names the known ones
        target = self.vllm if self.vllm is not None else self.router
        if target is None or not hasattr(target, "switch_model"):
            raise Unavailable("The local model server (vLLM)")
        await _call(target, "switch_model", spec.name)
        return f"vLLM now serves {spec.name} ({spec.alias})."

    async def force_api(self, minutes: float) -> str:
        if self.router is None:
            raise Unavailable("The model router")
        await _call(self.router, "force_api", float(minutes) * 60.0)
        return f"Answering through the API fallbacks for {minutes:g} minutes."

    # --- the host ------------------------------------------------------------------------------------

    async def system_stats(self) -> dict[str, Any]:
        stats = await asyncio.to_thread(host_stats)
        stats["uptime_s"] = round(time.monotonic() - self.started)
        stats["database"] = "external" if self.settings.database_url is not None else "embedded"
        tables: dict[str, Any] = {}
        if self.table is not None:
            tables["channels_in_memory"] = len(self.table._cache)  # noqa: SLF001 - a count, read only
        if self.db is not None:
            row = await self.db.fetch_one("SELECT count(*) AS n FROM campaigns WHERE channel_id IS NOT NULL")
            tables["channels_bound"] = int(row["n"]) if row else 0
        stats["sessions"] = tables
        # sessions active, messages pending, queue depths (on Ray: the router actor's queues too)
        stats["runtime"] = await asyncio.to_thread(live_figures.runtime_summary, relayed=True)
        return stats

    # --- campaigns -----------------------------------------------------------------------------------

    def _repo(self) -> PlayStateRepository:
        if self.db is None:
            raise Unavailable("The campaign library (no database)")
        return PlayStateRepository(self.db)

    async def campaign_names(self) -> list[str]:
        return await self._repo().campaign_names()

    async def load_campaign(self, name: str, channel_id: int) -> CampaignInfo:
        repo = self._repo()
        found = await repo.find_campaign(name)
        if found is None:
            raise UnknownCampaign(name, await repo.campaign_names())
        bound = await repo.bind_channel(found.id, channel_id)
        return CampaignInfo(bound.id, bound.name, channel_id)


def _models(s: Settings, names: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Each planned backend's model, quantization and context length (names only: never a key or URL)."""
    from inference.registry import UnknownModel

    try:
        spec_quant = find_model(s.local_model_name).quantization
    except UnknownModel:
        spec_quant = None
    table = {
        "vllm": {"model": s.local_model_name, "context_length": s.max_model_len,
                 "quantization": s.quantization or spec_quant or "as the checkpoint ships"},
        "gemini": {"model": s.gemini_model, "quantization": "provider's", "context_length": None},
        "xai": {"model": s.xai_model, "quantization": "provider's", "context_length": None},
        "embedded": {"model": "SmolLM2-135M-Instruct", "quantization": "GGUF Q4_1, int8 on CPU",
                     "context_length": None},
    }  # fmt: skip
    return {name: table[name] for name in names if name in table}


def _rules(db: Database, rules: Any) -> Any:
    if rules != "auto":
        return rules
    from persistence.rules_book import RulesBook
    from persistence.srd_repository import SrdRepository

    return RulesBook(SrdRepository(db))


async def open_table(
    settings: Settings,
    db: Database,
    *,
    seed: int | None = None,
    owner_id: int | None = None,
    rules: Any = "auto",
    router: Any = None,
    vllm: Any = None,
    narrator: Narrator | None = None,
) -> Table:
    """A `Table` on `db` with its services wired from `settings` (see the module docstring)."""
    install_observers()  # its sessions and database writes report to monitoring (idempotent)
    services = Services(settings=settings, db=db, router=router, vllm=vllm)
    table = Table(
        store=PlayStateRepository(db), messages=MessageLog(db), rules=_rules(db, rules), services=services,
        owner_id=owner_id if owner_id is not None else settings.owner_id, narrator=narrator, seed=seed,
        world=CampaignBuilder(db),
    )  # fmt: skip
    services.table = table
    return table

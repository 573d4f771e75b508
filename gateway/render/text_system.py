"""Text for the system, admin and campaign results: help, model status, host stats, owner changes."""

from __future__ import annotations

from typing import Any

from dm.commands.admin import EventTriggered, PlotThreads, ResyncDone, ServiceDone, XpAwarded
from dm.commands.campaign import CampaignLoaded
from dm.commands.system import HelpCommand, HelpIndex, ModelStatus, SystemStats
from gateway.render.text import renders

__all__: list[str] = []


# --- help --------------------------------------------------------------------------------------------


@renders(HelpIndex)
def _help_index(r: HelpIndex) -> str:
    lines = ["Commands (!help COMMAND for one in full; [owner] = the game's owner only):"]
    for area in r.areas:
        lines.append("")
        lines.append(f"{area['area'].capitalize()}:")
        for c in area["commands"]:
            mark = " [owner]" if c["owner_only"] else ""
            lines.append(f"  {c['usage']}{mark} - {c['help']}")
    return "\n".join(lines)


@renders(HelpCommand)
def _help_command(r: HelpCommand) -> str:
    lines = [r.usage, r.help]
    if r.details:
        lines.append(r.details)
    lines += [f"  {a['label']}: {a['help']}" for a in r.arguments]
    if r.aliases:
        lines.append("Also: " + ", ".join(f"!{a}" for a in r.aliases))
    rules = []
    if r.owner_only:
        rules.append("only the game's owner may use it")
    if r.only_on_your_turn:
        rules.append("in combat, only on your turn")
    elif r.needs_character:
        rules.append("needs your character")
    if rules:
        lines.append("Note: " + "; ".join(rules) + ".")
    if r.examples:
        lines.append("Examples: " + " | ".join(r.examples))
    return "\n".join(lines)


# --- status --------------------------------------------------------------------------------------------


def _backend_line(name: str, info: dict[str, Any], healthy: bool | None) -> str:
    parts = [] if healthy is None else ["healthy" if healthy else "not answering"]
    parts.append(f"breaker {info.get('breaker', '?')}")
    if info.get("failures"):
        parts.append(f"{info['failures']} failures")
    if info.get("in_flight"):
        parts.append(f"{info['in_flight']} in flight")
    if info.get("context_window"):
        parts.append(f"context {info['context_window']}")
    if info.get("last_fallback_reason"):
        parts.append(f"last fallback: {info['last_fallback_reason']}")
    return f"  {name}: " + ", ".join(parts)


@renders(ModelStatus)
def _model_status(r: ModelStatus) -> str:
    s = r.status
    vllm = s.get("vllm", {})
    configured = s.get("configured", {})
    lines = [
        f"In use: {s.get('in_use') or 'none answering'}",
        f"Backend order: {' -> '.join(s.get('order', [])) or 'none'}",
        f"Local model: {s.get('local_model')} (context {s.get('context_length')} tokens)",
        f"vLLM at {vllm.get('host')}:{vllm.get('port')}: " + ("reachable" if vllm.get("reachable") else "not running")
        + ("" if configured.get("vllm") else " (not in the plan: no GPU here)"),
        f"Gemini: {configured.get('gemini', '?')}" + (f" ({s['gemini_model']})" if s.get("gemini_model") else ""),
        f"xAI: {configured.get('xai', '?')}" + (f" ({s['xai_model']})" if s.get("xai_model") else ""),
        f"Embedded CPU model: {configured.get('embedded', '?')}",
    ]  # fmt: skip
    router = s.get("router")
    if isinstance(router, dict) and router.get("error"):
        lines.append(f"Router: {router['error']}")
    elif isinstance(router, dict):
        forced = router.get("forced_api_remaining_s") or 0
        lines.append("Router:" + (f" API fallbacks forced for {forced / 60:.0f} more minutes" if forced else ""))
        health = router.get("health") or {}
        lines += [_backend_line(n, info, health.get(n)) for n, info in router.get("backends", {}).items()]
    else:
        lines.append("Router: not running in this process (status from the configuration)")
    lines += _models_lines(s.get("models") or {}, s.get("speed") or {})
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else (f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s")


def _models_lines(models: dict[str, Any], speed: dict[str, Any]) -> list[str]:
    """Each backend's model and quantization, then what its calls measured in this process."""
    lines = []
    if models:
        lines.append("Models:")
        for name, m in models.items():
            context = f", context {m['context_length']} tokens" if m.get("context_length") else ""
            lines.append(f"  {name}: {m.get('model')} ({m.get('quantization')}{context})")
    if speed:
        lines.append("Measured here:")
        for name, v in speed.items():
            tps = f"{v['tokens_per_s']:g} tokens/s" if v.get("tokens_per_s") is not None else "tokens/s n/a"
            lines.append(f"  {name}: {v.get('calls', 0)} calls, {tps}, first token p50 {_seconds(v.get('ttft_p50_s'))}"
                         f" / p95 {_seconds(v.get('ttft_p95_s'))}"
                         + (f", {v['errors']} errors" if v.get("errors") else "")
                         + (f" ({v['timeouts']} timeouts)" if v.get("timeouts") else "")
                         + (f", {v['fallbacks']} fallbacks" if v.get("fallbacks") else ""))
    else:
        lines.append("Measured here: no model calls yet in this process")
    return lines


@renders(SystemStats)
def _system_stats(r: SystemStats) -> str:
    s = r.stats
    cpu, memory = s.get("cpu", {}), s.get("memory", {})
    load = "/".join(f"{x:.2f}" for x in cpu.get("load_1_5_15", [])) or "n/a"
    busy = f", {cpu['busy_pct']:g}% busy" if cpu.get("busy_pct") is not None else ""
    lines = [f"CPU: {cpu.get('count', '?')} cores, load {load}{busy}"]
    if memory:
        lines.append(f"Memory: {memory['available_gib']} GiB free of {memory['total_gib']} GiB "
                     f"({memory['used_pct']}% used)")
    gpus = s.get("gpus") or []
    if not gpus:
        lines.append("GPU: no GPU")
    for g in gpus:
        util = f", {g['utilization_pct']}% busy" if g.get("utilization_pct", -1) >= 0 else ""
        lines.append(f"GPU {g['index']}: {g['name']}, {g['used_gib']} of {g['total_gib']} GiB used{util}")
    sessions = s.get("sessions", {})
    if sessions:
        lines.append("Tables: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sessions.items()))
    lines += _runtime_lines(s.get("runtime") or {})
    if "database" in s:
        lines.append(f"Database: {s['database']}")
    if "uptime_s" in s:
        lines.append(f"Up for {int(s['uptime_s']) // 60} min")
    return "\n".join(lines)


def _runtime_lines(runtime: dict[str, Any]) -> list[str]:
    """Sessions of this process and the queues in front of the model."""
    if not runtime:
        return []
    lines = [f"Sessions: {runtime.get('sessions_open', 0)} open, {runtime.get('sessions_active', 0)} active"]
    for campaign, q in sorted((runtime.get("campaigns") or {}).items()):
        lines.append(f"  {campaign}: {q.get('pending', 0)} messages pending, {q.get('queued_batches', 0)} batches "
                     f"queued, {q.get('in_flight', 0)} DM turns in flight")
    queues = runtime.get("model_queues") or {}
    fair = runtime.get("fair_queue") or {}
    depth = ", ".join(f"{k} {v}" for k, v in sorted(queues.items())) or "none"
    line = f"Model queues: {depth}"
    if fair:
        line += "; waiting per campaign: " + ", ".join(f"{k} {v}" for k, v in sorted(fair.items()))
    lines.append(line)
    return lines


# --- owner changes ---------------------------------------------------------------------------------


@renders(XpAwarded)
def _xp(r: XpAwarded) -> str:
    lines = [e["summary"] for e in r.applied] + [f"Refused: {e['summary']}" for e in r.refused]
    for up in r.level_ups:
        slots = ", ".join(f"{n} of level {lvl}" for lvl, n in up["slots"].items())
        text = f"{up['name']} reaches level {up['level']}: +{up['hp_gained']} max HP ({up['hp']}/{up['max_hp']} HP)"
        if slots:
            text += f"; spell slots {slots}"
        if up["new_features"]:
            text += f"; new: {', '.join(up['new_features'])}"
        lines.append(text + ".")
    return "\n".join(lines)


@renders(ResyncDone)
def _resync(r: ResyncDone) -> str:
    if not r.changes:
        return f"{r.who}'s sheet already matches the rules; nothing changed."
    lines = [f"{r.who}'s sheet recomputed:"]
    for c in r.changes:
        lines.append(f"  {c['field'].replace('_', ' ')}: {c['before']} -> {c['after']}")
    return "\n".join(lines)


@renders(PlotThreads)
def _threads(r: PlotThreads) -> str:
    if not r.threads:
        return "No open plot threads." + (f" ({r.resolved} resolved.)" if r.resolved else "")
    lines = ["Open plot threads:"]
    for t in r.threads:
        last = f" - latest: {t['last']}" if t["last"] else ""
        lines.append(f"  {t['name']} ({t['notes']} notes){last}")
    if r.resolved:
        lines.append(f"({r.resolved} resolved.)")
    return "\n".join(lines)


@renders(EventTriggered)
def _event(r: EventTriggered) -> str:
    text = f"Event triggered: {r.name}" + (" (new)" if r.new else "") + "."
    return f"{text} {r.description}" if r.description else text


@renders(ServiceDone)
def _service(r: ServiceDone) -> str:
    return r.detail or f"{r.action.replace('_', ' ')}: done."


@renders(CampaignLoaded)
def _campaign_loaded(r: CampaignLoaded) -> str:
    before = f" (instead of {r.previous})" if r.previous and r.previous != r.name else ""
    return f"This channel now plays {r.name}{before}."

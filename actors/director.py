"""`SessionDirector` (named, detached): channel → campaign → session actor.

    director = start_director(conninfo, defaults={"llm": "scripted:/abs/path/replies.jsonl"})
    actor = await director.session.remote(channel_id)      # created on first use, named session:<channel id>
    replies = await actor.receive.remote(message)

The director owns the `PersistenceActor` every session shares. A session actor is created lazily for a channel
bound to a campaign, with `max_restarts` (Ray restarts it after a crash; it rebuilds from PostgreSQL), detached
like the director so a director restart does not take the sessions with it (they are found again by name).
A session that has used up its restarts is created afresh on the next call.
"""

from __future__ import annotations

from typing import Any

import ray
from ray.exceptions import RayActorError

from actors.persistence import PersistenceActor, PlayStoreProxy
from actors.session import SESSION_CPUS, SessionActor, SessionSpec, session_name
from actors.session_parts import with_settings

__all__ = ["DIRECTOR_NAME", "NAMESPACE", "NoCampaign", "SessionDirector", "start_director"]

NAMESPACE = "lorekeeper"
DIRECTOR_NAME = "session-director"
PERSISTENCE_NAME = "persistence"
# a session process is small and mostly idle: two malloc arenas (not 8 per core) keep what its threads freed
# from staying mapped
SESSION_ENV: dict[str, Any] = {"env_vars": {"MALLOC_ARENA_MAX": "2"}}


class NoCampaign(LookupError):
    def __init__(self, channel_id: int) -> None:
        super().__init__(f"No campaign is bound to channel {channel_id}: load one there first (!load_campaign).")
        self.channel_id = channel_id


@ray.remote(num_cpus=0, max_restarts=-1)
class SessionDirector:
    def __init__(self, conninfo: str, defaults: dict[str, Any] | None = None, max_restarts: int = 5,
                 detached: bool = True, pool_size: int = 8) -> None:  # fmt: skip
        self._defaults = dict(defaults or {})
        self._max_restarts, self._detached = max_restarts, detached
        self._persistence = PersistenceActor.options(**self._placement(PERSISTENCE_NAME)).remote(
            conninfo, pool_size)
        self._sessions: dict[int, tuple[int, Any]] = {}  # channel → (campaign id, actor)

    def _placement(self, name: str) -> dict[str, Any]:
        options: dict[str, Any] = {"name": name, "namespace": NAMESPACE, "get_if_exists": True}
        return options | ({"lifetime": "detached"} if self._detached else {})

    async def persistence(self) -> Any:
        return self._persistence

    async def session(self, channel_id: int, **overrides: Any) -> Any:
        """The channel's session actor, created on first use. Raises `NoCampaign` for an unbound channel."""
        known = self._sessions.get(channel_id)
        if known is not None and await _alive(known[1]):
            return known[1]
        campaign = await PlayStoreProxy(self._persistence).campaign_for_channel(channel_id)
        if campaign is None:
            raise NoCampaign(channel_id)
        spec = with_settings(SessionSpec(channel_id=channel_id, **(self._defaults | overrides)))
        actor = SessionActor.options(**self._placement(session_name(channel_id)), num_cpus=SESSION_CPUS,
                                     max_restarts=self._max_restarts,
                                     runtime_env=SESSION_ENV).remote(spec, self._persistence)  # fmt: skip
        self._sessions[channel_id] = (campaign.id, actor)
        return actor

    async def list(self) -> list[dict[str, Any]]:
        """Every session this director started: channel, campaign and the actor's status (or "dead")."""
        out = []
        for channel_id, (campaign_id, actor) in sorted(self._sessions.items()):
            try:
                status = await actor.status.remote()
            except RayActorError:
                status = {"state": "dead"}
            out.append({"channel_id": channel_id, "campaign_id": campaign_id, **status})
        return out

    async def shutdown(self, channel_id: int | None = None) -> int:
        """Stop one session (or all): each answers what is open first, then its actor ends. Returns how many."""
        chosen = [channel_id] if channel_id is not None else list(self._sessions)
        stopped = 0
        for channel in chosen:
            known = self._sessions.pop(channel, None)
            if known is None:
                continue
            try:
                await known[1].shutdown.remote()
            except RayActorError:
                pass
            ray.kill(known[1], no_restart=True)
            stopped += 1
        return stopped


async def _alive(actor: Any) -> bool:
    """False for an actor that is gone for good (its name is free again: a new one may take it)."""
    try:
        await actor.status.remote()
        return True
    except RayActorError:
        return False


def start_director(conninfo: str, *, defaults: dict[str, Any] | None = None, max_restarts: int = 5,
                   detached: bool = True) -> Any:  # fmt: skip
    """The running director (found by name), else a new one; Ray must be initialised."""
    options: dict[str, Any] = {"name": DIRECTOR_NAME, "namespace": NAMESPACE, "get_if_exists": True}
    if detached:
        options["lifetime"] = "detached"
    return SessionDirector.options(**options).remote(conninfo, defaults, max_restarts, detached)

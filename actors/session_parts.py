"""What a `SessionActor` is built from: its `SessionSpec`, and the `Table` it plays on — the `PersistenceActor`'s
proxies for storage, the DM turn on the router actor (or a scripted model), and the services the owner's and
campaign commands reach. Kept apart so `actors/session.py` stays the thin shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dm.session import SessionConfig
from dm.table import Table

__all__ = ["LazyServices", "SessionSpec", "build_table", "session_config"]


@dataclass(frozen=True)
class SessionSpec:
    """What a session actor is built from (kept by Ray, reused on restart). `router`: the `InferenceRouter`
    actor handle; else `llm` ("scripted:PATH", or a backend name built in the actor) or `script` entries."""

    channel_id: int
    llm: str = "auto"
    router: Any = None
    script: tuple[dict[str, Any], ...] | None = None
    owner_id: int | None = None
    seed: int | None = None
    rules: bool = True
    config: SessionConfig | None = None  # None: BATCH_WINDOW_S, BATCH_CAP_S, TURN_TIMEOUT_S from the settings
    tick_s: float = 0.25


def _backend(spec: SessionSpec) -> Any:
    if spec.router is not None:
        from actors.inference import ActorBackend
        from gateway.settings import get_settings

        return ActorBackend("router", spec.router, get_settings().max_model_len,
                            campaign=spec.channel_id)  # the router queues campaigns fairly (inference.fair_queue)
    if spec.script is not None:
        from inference.scripted import ScriptedBackend

        return ScriptedBackend(list(spec.script))
    from gateway.storyteller import storyteller_backend as build

    return build(spec.llm)


def session_config() -> SessionConfig:
    from gateway.settings import get_settings

    return get_settings().session_config()  # type: ignore[no-any-return]


class LazyServices:
    """The services, built on their first use: `gateway.wiring` brings in every model client (openai, google-genai:
    ~40 MB in each session process) that only the owner's model and campaign commands need."""

    def __init__(self, spec: SessionSpec, persistence: Any) -> None:
        self._spec, self._persistence = spec, persistence
        self._built: Any = None
        self._table: Table | None = None

    @property
    def table(self) -> Table | None:
        return self._table

    @table.setter
    def table(self, table: Table | None) -> None:
        self._table = table
        if self._built is not None:
            self._built.table = table

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._built is None:
            self._built = _services(self._spec, self._persistence)
            self._built.table = self._table
        return getattr(self._built, name)


def _services(spec: SessionSpec, persistence: Any) -> Any:
    """The owner's and the campaign commands' services: the router actor for the model commands, the
    campaign library through the persistence actor."""
    from actors.persistence import PlayStoreProxy
    from gateway.settings import get_settings
    from gateway.wiring import Services

    class ActorServices(Services):
        def _repo(self) -> Any:
            return PlayStoreProxy(persistence)

    return ActorServices(settings=get_settings(), router=spec.router)


def build_table(spec: SessionSpec, persistence: Any) -> Table:
    from actors.persistence import MessageStoreProxy, PlayStoreProxy, RepositoryProxy
    from dm.turn import DMTurn
    from gateway.settings import get_settings

    scripted = spec.script is not None or spec.llm.startswith("scripted:")
    narrator = DMTurn(_backend(spec), window=get_settings().max_model_len,
                      canon=RepositoryProxy(persistence, "canon"), world=RepositoryProxy(persistence, "world"),
                      search=None if scripted else RepositoryProxy(persistence, "search"))  # fmt: skip
    services = LazyServices(spec, persistence)
    table = Table(store=PlayStoreProxy(persistence), messages=MessageStoreProxy(persistence),
                  rules=RepositoryProxy(persistence, "rules") if spec.rules else None, owner_id=spec.owner_id,
                  rules_off=None if spec.rules else "it is switched off in this game (--no-rules)",
                  narrator=narrator, seed=spec.seed, world=RepositoryProxy(persistence, "builder"),
                  services=services)  # fmt: skip
    services.table = table
    return table

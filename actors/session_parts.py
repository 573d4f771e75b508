"""What a `SessionActor` is built from: its `SessionSpec`, and the `Table` it plays on — the `PersistenceActor`'s
proxies for storage, the DM turn on the router actor (or a scripted model), and the services the owner's and
campaign commands reach. Kept apart so `actors/session.py` stays the thin shell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dm.session import SessionConfig
from dm.table import Table

__all__ = ["LazyServices", "SessionSpec", "build_table", "session_config", "with_settings"]


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
    window: int | None = None  # the model's context window (MAX_MODEL_LEN); None: from the settings


def with_settings(spec: SessionSpec) -> SessionSpec:
    """`spec` with its timers and window read from the settings (the director does it once, so the session
    processes need not load the settings machinery: pydantic-settings, dotenv)."""
    if spec.config is not None and spec.window is not None:
        return spec
    from gateway.settings import get_settings

    settings = get_settings()
    return replace(spec, config=spec.config or settings.session_config(), window=spec.window or settings.max_model_len)


def _window(spec: SessionSpec) -> int:
    if spec.window is not None:
        return spec.window
    from gateway.settings import get_settings

    return int(get_settings().max_model_len)


def _backend(spec: SessionSpec) -> Any:
    if spec.router is not None:
        from actors.inference import ActorBackend

        return ActorBackend("router", spec.router, _window(spec),
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

    scripted = spec.script is not None or spec.llm.startswith("scripted:")
    narrator = DMTurn(_backend(spec), window=_window(spec),
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

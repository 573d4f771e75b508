"""What a command handler gets: who called, the channel's campaign and state, and the services.

Handlers change the game only by replacing `ctx.state` with a new `GameState` (usually through
`ctx.apply(effects)`, which runs the rules engine's validation). The table saves the difference in
one transaction with the command's result, or nothing if the handler raised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from dm.commands.registry import PlayerRef
from dm.errors import NoCampaign, NoCharacter, Unavailable
from game.character import Character
from game.effects import EffectOutcome, GameState
from game.validation import apply_effects

__all__ = ["Caller", "CampaignInfo", "CommandContext", "Storyteller", "TableServices"]


@dataclass(frozen=True)
class Caller:
    player_id: int
    name: str
    is_owner: bool = False


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    channel_id: int


class TableServices(Protocol):
    """What the system and admin commands reach beyond the table (implemented in `gateway/wiring.py`)."""

    async def model_status(self) -> dict[str, Any]: ...

    async def switch_model(self, name: str) -> str: ...

    async def force_api(self, minutes: float) -> str: ...

    async def system_stats(self) -> dict[str, Any]: ...

    async def campaign_names(self) -> list[str]: ...

    async def load_campaign(self, name: str, channel_id: int) -> CampaignInfo: ...


class Storyteller(Protocol):
    """The AI DM's model for commands that need new text (!new_campaign, !introduce_npc, …): one JSON
    object for `schema` (`dm.campaign_gen.BackendStoryteller` wraps the DM turn's backend).

    Raises `inference.errors.InferenceError` or `dm.errors.MalformedReply` when it cannot answer.
    """

    async def generate_json(self, messages: Any, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]: ...


@dataclass
class CommandContext:
    caller: Caller
    channel_id: int
    campaign: CampaignInfo | None
    state: GameState
    rules: Any = None  # persistence.interfaces.RulesSource, when the SRD database is open
    rules_off: str | None = None  # why there is no rules library ("switched off with --no-rules"), if known
    services: TableServices | None = None
    rng: random.Random = field(default_factory=random.Random)
    command: str = ""
    player_names: dict[int, str] = field(default_factory=dict)  # player id → name, as seen at this table
    scratch: dict[str, Any] = field(default_factory=dict)  # per-table memory (guided creation drafts)
    storyteller: Storyteller | None = None  # the model, for the commands that need new text
    world: Any = None  # persistence.interfaces.CampaignBuilderStore: campaigns the storyteller writes
    narrator: Any = None  # the table's DM turn (dm.turn.DMTurn), for !whisper's private turn
    history: Any = None  # persistence.interfaces.HistoryStore: the story so far, for !recap and !whisper

    def require_campaign(self) -> CampaignInfo:
        if self.campaign is None:
            raise NoCampaign()
        return self.campaign

    def require_services(self, what: str) -> TableServices:
        """The services, or Unavailable naming `what` (e.g. "The model router") when none are wired in."""
        if self.services is None:
            raise Unavailable(what)
        return self.services

    def require_storyteller(self, what: str) -> Storyteller:
        """The storyteller, or Unavailable naming `what` when no model is wired in."""
        if self.storyteller is None:
            raise Unavailable(what)
        return self.storyteller

    def my_character(self) -> tuple[str, Character]:
        """The caller's character (a copy: change it, then `put`).

        Raises:
            NoCharacter: the caller has none here.
        """
        found = self.state.character_of(self.caller.player_id)
        if found is None:
            raise NoCharacter()
        cid, who = found
        return cid, who.model_copy(deep=True)

    def character_for(self, ref: PlayerRef) -> tuple[str, Character]:
        """A player's character by mention (`<@id>`), `@player` name, character name or id (a copy).

        Raises:
            NoCharacter: nobody fits.
        """
        if ref.user_id is not None:
            found = self.state.character_of(ref.user_id)
            if found is not None:
                return found[0], found[1].model_copy(deep=True)
            raise NoCharacter(ref.raw)
        key = " ".join(ref.name.lower().split())
        for cid, who in self.state.characters.items():
            if cid.lower() == key or who.name.lower() == key:
                return cid, who.model_copy(deep=True)
        for player_id, name in self.player_names.items():
            if name.lower() == key:
                found = self.state.character_of(player_id)
                if found is not None:
                    return found[0], found[1].model_copy(deep=True)
        starts = [(cid, w) for cid, w in self.state.characters.items() if w.name.lower().startswith(key)]
        if key and len(starts) == 1:
            return starts[0][0], starts[0][1].model_copy(deep=True)
        raise NoCharacter(ref.raw)

    def put(self, cid: str, who: Character) -> None:
        self.state = self.state.replace(cid, who)

    def apply(self, effects: list[Any]) -> list[EffectOutcome]:
        """Run effects through the rules engine; the accepted ones change `ctx.state`."""
        self.state, outcomes = apply_effects(self.state, effects, rng=self.rng)
        return outcomes

"""The Discord gateway: `lorekeeper bot` (discord.py) over the same table and sessions as the console.

- `bot.py`: `LorekeeperBot`, the discord.py client: which channels it answers, intake, posting replies.
- `hub.py`: `SessionHub`, one session per channel (in-process `dm.session.Session`, or a `SessionActor`
  on Ray through `gateway.remote_session.RemoteSession`), the tick loop, a shutdown that leaves pending
  messages pending.
- `intake.py`: a Discord message → `dm.table.PlayerMessage`; catching up on channel history after a reconnect.
- `splitting.py`: replies split at Discord's 2,000 characters on paragraph, then line, then word boundaries.
"""

__all__: list[str] = []

"""A process SIGKILLed between a turn's state write and its processed flag loses nothing and doubles nothing.

The child process plays one state-changing message through the real repository with the fault point
`after_state_write` armed: it dies inside the transaction. The parent then finds the state untouched and
the message still pending, replays it in a second child without the fault, and finds it applied once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from persistence.faults import FAULT_ENV

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from game.creation import create_character, standard_array
    from game.effects import GameState, HpChange
    from game.validation import apply_effects
    from persistence.database import Database
    from persistence.messages import MessageLog
    from persistence.play_state import PlayStateRepository

    async def main(uri, campaign_id):
        async with Database(uri, max_size=2) as db:
            repo, log = PlayStateRepository(db), MessageLog(db)
            loaded = await repo.load(campaign_id)
            before = GameState.from_dict(loaded.state)
            recorded = await log.record(channel_id=-campaign_id, message_id=9001, author_id=11,
                                        content="!hp @Brom -5", is_command=True)
            if recorded.message.processed:
                print("replayed"); return
            after, _ = apply_effects(before, [HpChange(target="Brom", amount=-5)])
            await repo.save(campaign_id, expected_version=loaded.version, before=before.to_dict(),
                            after=after.to_dict(), channel_id=-campaign_id, message_ids=[9001],
                            result={"type": "info", "lines": ["Brom takes 5"]})
            print("saved")

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


async def test_sigkill_between_state_write_and_processed_flag(clean_db, embedded_pg: str) -> None:  # type: ignore[no-untyped-def]
    from game.creation import create_character, standard_array
    from game.effects import GameState
    from persistence.play_state import PlayStateRepository

    repo = PlayStateRepository(clean_db)
    campaign = await repo.create_campaign("Crash Keep")
    scores = standard_array({"str": 15, "dex": 14, "con": 13, "int": 12, "wis": 10, "cha": 8})
    brom = create_character("Brom", "dwarf", "fighter", scores, ["athletics", "perception"], player_id=11)
    brom.id = "pc-11"
    state = GameState(characters={"pc-11": brom})
    await repo.save(campaign.id, expected_version=0, before={}, after=state.to_dict())

    def child(fault: bool) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
        if fault:
            env[FAULT_ENV] = "after_state_write"
        return subprocess.run([sys.executable, "-c", CHILD, embedded_pg, str(campaign.id)], env=env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    killed = child(fault=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    loaded = GameState.from_dict((await repo.load(campaign.id)).state)
    assert loaded.characters["pc-11"].hp == brom.hp  # nothing of the half-done turn is there
    pending = await clean_db.fetch_value("SELECT processed FROM message_history WHERE discord_message_id = 9001")
    assert pending is False  # the message is kept, still to answer

    again = child(fault=False)
    assert again.returncode == 0 and again.stdout.strip() == "saved", again.stderr
    once_more = child(fault=False)
    assert once_more.stdout.strip() == "replayed"
    loaded = GameState.from_dict((await repo.load(campaign.id)).state)
    assert loaded.characters["pc-11"].hp == brom.hp - 5  # applied exactly once

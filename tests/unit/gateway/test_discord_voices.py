"""NPC voice helpers (gateway.discord.voices)."""

from __future__ import annotations

from types import SimpleNamespace

from gateway.discord.voices import avatar_for, plain_line, voice_name


def test_webhook_names_discord_accepts() -> None:
    assert voice_name("Mirela Voss") == "Mirela Voss"
    assert "discord" not in voice_name("Discord the Bard").lower().replace("\u200b", "x")
    assert len(voice_name("x" * 200)) == 80 and voice_name("  ") == "Someone"


def test_plain_fallback_and_avatars() -> None:
    assert plain_line("Old Tom", "Sit.") == "**Old Tom:** Sit."
    bot = SimpleNamespace(npc_avatars={"old tom": "https://example.invalid/tom.png"})
    assert avatar_for(bot, "Old Tom") == "https://example.invalid/tom.png"
    assert avatar_for(SimpleNamespace(), "Old Tom") is None

"""`lorekeeper bot` without DISCORD_TOKEN says what to do, and nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main


def test_a_missing_token_is_a_friendly_error(settings_env: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["bot", "--no-ray"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "README" in err
    assert "Traceback" not in err
    assert list(settings_env.iterdir()) == []  # nothing was started (no database in the data dir)


def test_bot_help_names_the_ray_address(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bot", "--help"])
    out = capsys.readouterr().out
    assert "--address" in out and "ray start --head" in out


def test_no_gpu_or_a_remote_vllm_launches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import monitoring.gpu
    from gateway.commands.bot import launch_vllm
    from gateway.settings import load_settings
    from monitoring.gpu import GpuStats

    monkeypatch.setattr(monitoring.gpu, "read_gpus", lambda: None)
    assert launch_vllm(load_settings()) is None  # no GPU: no actor (and Ray is never asked)
    card = GpuStats(0, "stand-in card", 16 * 2**30, 0, 16 * 2**30, 0)
    monkeypatch.setattr(monitoring.gpu, "read_gpus", lambda: [card])
    assert launch_vllm(load_settings(vllm_host="gpu-box.example")) is None  # served elsewhere: not ours to run
    assert launch_vllm(load_settings(llm_backend_order="gemini,embedded")) is None  # vLLM not wanted


def test_the_metrics_exporter_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.commands import bot
    from monitoring import metrics

    monkeypatch.setenv("METRICS_PORT", "0")
    assert bot.start_metrics() is None  # switched off
    monkeypatch.delattr(metrics, "start_exporter")
    assert bot.start_metrics() is None  # absent: the bot runs without it

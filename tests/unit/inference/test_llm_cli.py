"""`lorekeeper llm` commands that need no GPU, network or model download."""

from __future__ import annotations

import json

from gateway.cli import main
from inference.factory import inference_plan, server_config
from gateway.settings import load_settings


def test_serve_dry_run_prints_the_vllm_command(capsys, monkeypatch) -> None:
    monkeypatch.setenv("MAX_NUM_SEQS", "24")
    monkeypatch.setenv("GPU_MEMORY_UTILIZATION", "0.85")
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    assert main(["llm", "serve", "--dry-run", "--json"]) == 0
    argv = json.loads(capsys.readouterr().out)["command"]
    assert argv[:3] == ["vllm", "serve", "meta-llama/Llama-3.1-8B-Instruct"]
    assert argv[argv.index("--max-num-seqs") + 1] == "24"
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.85"


def test_fit_reports_and_recommends_for_a_12_gib_card(capsys, monkeypatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    assert main(["llm", "fit", "--vram-gib", "12", "--json"]) == 1      # a script must see "does not fit"
    out = json.loads(capsys.readouterr().out)
    assert out["fits"] is False
    assert out["recommendation"] == "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"


def test_fit_exits_0_when_the_model_fits(capsys, monkeypatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    assert main(["llm", "fit", "--vram-gib", "80", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fits"] is True


def test_setup_without_download_writes_env(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=keep-me\n", encoding="utf-8")
    code = main(["llm", "setup", "--vram-gib", "16", "--accept-recommendation", "--no-download",
                 "--env-file", str(env), "--dest", str(tmp_path / "m"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8"
    text = env.read_text(encoding="utf-8")
    assert "DISCORD_TOKEN=keep-me" in text
    assert "LOCAL_MODEL_NAME=neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8" in text
    assert "MAX_NUM_SEQS=17" in text
    assert "--max-num-seqs 17" in summary["command"]


def test_plan_without_gpu_or_keys_is_the_embedded_model(monkeypatch) -> None:
    for name in ("GEMINI_API_KEY", "XAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    plan = inference_plan(load_settings(_env_file=None), gpus=[])
    assert [name for name, _ in plan.backends] == ["embedded"]


def test_plan_with_keys_and_a_gpu_follows_the_default_order(monkeypatch) -> None:
    settings = load_settings(_env_file=None, gemini_api_key="g", xai_api_key="x")
    plan = inference_plan(settings, gpus=[object()])
    assert [name for name, _ in plan.backends] == ["vllm", "gemini", "xai", "embedded"]
    assert plan.backends[1][1].api_key == "g"
    assert server_config(settings).port == 8000


def test_setup_clears_a_quantization_flag_left_from_another_model(tmp_path, capsys, monkeypatch) -> None:
    """An .env written for an AWQ model says QUANTIZATION=awq; setting up the FP8 model must not keep it,
    or `llm serve` would start vLLM with --quantization awq on an FP8 checkpoint (vLLM refuses)."""
    monkeypatch.setenv("QUANTIZATION", "awq")
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    env = tmp_path / ".env"
    env.write_text("QUANTIZATION=awq\n", encoding="utf-8")
    assert main(["llm", "setup", "--vram-gib", "16", "--accept-recommendation", "--no-download",
                 "--env-file", str(env), "--dest", str(tmp_path / "m"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert "--quantization" not in summary["command"]
    assert "QUANTIZATION=awq" not in env.read_text(encoding="utf-8")


def test_status_never_prints_keys(capsys, monkeypatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(
        _env_file=None, gemini_api_key="gem-SECRET-1", xai_api_key="xai-SECRET-2", hf_token="hf_SECRET3",
        vllm_port=1))
    for flags in (["--json"], []):
        assert main(["llm", "status", *flags]) == 0
        out = capsys.readouterr().out
        assert "SECRET" not in out and "configured" in out


def test_llm_commands_and_the_backend_factory_do_not_import_ray() -> None:
    """`llm ask` builds its backends through inference.factory: no Ray (seconds of start-up) on that path."""
    import subprocess
    import sys

    code = ("import sys, gateway.commands.llm, inference.factory; "
            "sys.exit(1 if 'ray' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_ask_for_an_unconfigured_backend_is_one_friendly_line(capsys, monkeypatch) -> None:
    monkeypatch.setattr("gateway.commands.llm._settings", lambda: load_settings(_env_file=None))
    assert main(["llm", "ask", "hello", "--backend", "gemini"]) == 1
    err = capsys.readouterr().err
    assert "Backend 'gemini' is not configured here" in err and "Traceback" not in err


def test_llm_ask_is_quiet_unless_verbose() -> None:
    """Progress bars and library warnings stay off stderr (checked in a child: the switches are process-wide)."""
    import subprocess
    import sys

    code = ("import os, warnings; from gateway.commands.llm import quiet_libraries; quiet_libraries(False); "
            "warnings.warn('torch says hi', UserWarning); "
            "print(os.environ['HF_HUB_DISABLE_PROGRESS_BARS'], os.environ['TRANSFORMERS_VERBOSITY'])")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "PYTHONWARNINGS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["1", "error"] and "torch says hi" not in done.stderr
    loud = code.replace("quiet_libraries(False)", "quiet_libraries(True)").replace(
        "print(os.environ['HF_HUB_DISABLE_PROGRESS_BARS'], os.environ['TRANSFORMERS_VERBOSITY'])", "")
    assert "torch says hi" in subprocess.run([sys.executable, "-c", loud], capture_output=True, text=True,
                                             check=True, env=env).stderr

"""Settings: the seed's names, secrets hidden everywhere, one clear line for a bad value."""

from __future__ import annotations

import io
import json
import logging

import pytest

from gateway.logging_setup import configure_logging
from gateway.settings import ConfigError, load_settings

TOKEN = "mfa.DISCORD-token-value-123"
GEMINI = "AIzaSy-gemini-key-456"
DB_URL = "postgresql://dm:hunter2pass@db.example:5432/lore"


def test_seed_variable_names_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_CHANNEL_ID", "123456789012345678")
    monkeypatch.setenv("OWNER_ID", "42")
    monkeypatch.setenv("VLLM_PORT", "8123")
    monkeypatch.setenv("GPU_MEMORY_UTILIZATION", "0.85")
    monkeypatch.setenv("MAX_MODEL_LEN", "8192")
    monkeypatch.setenv("TENSOR_PARALLEL_SIZE", "2")
    monkeypatch.setenv("LOCAL_MODEL_NAME", "meta-llama/Llama-3.2-3B-Instruct")
    settings = load_settings()
    assert settings.bot_channel_id == 123456789012345678
    assert settings.owner_id == 42
    assert settings.vllm_port == 8123
    assert settings.gpu_memory_utilization == 0.85
    assert settings.max_model_len == 8192
    assert settings.tensor_parallel_size == 2
    assert settings.local_model_name == "meta-llama/Llama-3.2-3B-Instruct"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OWNER_ID", raising=False)
    (tmp_path / ".env").write_text("OWNER_ID=777\nXAI_API_KEY=xai-secret-789\n")
    settings = load_settings()
    assert settings.owner_id == 777
    assert settings.xai_api_key is not None and settings.xai_api_key.get_secret_value() == "xai-secret-789"


def test_blank_database_url_means_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert load_settings().database_url is None


def test_secrets_never_appear_in_repr_or_str(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(discord_token=TOKEN, gemini_api_key=GEMINI, database_url=DB_URL)
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert TOKEN not in text and GEMINI not in text and "hunter2pass" not in text
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    ("name", "value"),
    [("VLLM_PORT", "not-a-port"), ("GPU_MEMORY_UTILIZATION", "1.7"), ("OWNER_ID", "bob"), ("LOG_FORMAT", "xml")],
)
def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path, name: str, value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in info.value.user_message
    assert "\n" not in info.value.user_message


def test_malformed_secret_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_CHANNEL_ID", "secret-looking-junk-999")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "secret-looking-junk-999" not in info.value.user_message


def _capture_log(log_format: str, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    configure_logging(log_format=log_format, secrets=secrets)
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "lorekeeper")
    handler.setStream(stream)  # type: ignore[attr-defined]
    return logging.getLogger("lorekeeper.test"), stream


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secret_never_appears_in_a_log_line(log_format: str) -> None:
    log, stream = _capture_log(log_format, [TOKEN, DB_URL])
    log.info("connecting with %s", TOKEN)
    log.warning("db at " + DB_URL, extra={"token": TOKEN})
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        log.error("failure", exc_info=True)
    output = stream.getvalue()
    assert TOKEN not in output and "hunter2pass" not in output
    assert output.count("***") >= 3
    assert "login failed for ***" in output


def test_json_log_lines_are_structured() -> None:
    log, stream = _capture_log("json", [])
    log.info("turn finished in %d ms", 812, extra={"campaign_id": 3, "message_id": 99})
    record = json.loads(stream.getvalue().strip())
    assert record["message"] == "turn finished in 812 ms"
    assert record["campaign_id"] == 3 and record["message_id"] == 99
    assert record["level"] == "INFO" and record["logger"] == "lorekeeper.test"


def test_database_password_is_redacted_on_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(database_url=DB_URL)
    log, stream = _capture_log("text", settings.secret_values())
    log.info("password=%s", "hunter2pass")
    assert "hunter2pass" not in stream.getvalue()


def test_log_level_defaults_per_command_and_log_level_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from gateway.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    get_settings.cache_clear()
    configure_logging(default_level="WARNING")
    assert logging.getLogger().level == logging.WARNING
    configure_logging(default_level="WARNING", verbose=True)
    assert logging.getLogger().level == logging.DEBUG
    monkeypatch.setenv("LOG_LEVEL", "info")
    get_settings.cache_clear()
    configure_logging(default_level="WARNING")
    assert logging.getLogger().level == logging.INFO
    get_settings.cache_clear()

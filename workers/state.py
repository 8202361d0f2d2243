"""Per-process state of a worker: settings-derived options, Redis, ledger, open sinks.

Built lazily on first use inside each (forked) worker process, never at import.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import redis
import structlog

from schemas.errors import SinkRejected
from schemas.ledger import Ledger
from schemas.redis_client import connect
from schemas.settings import get_settings
from schemas.settings_view import mask_url
from workers.clean import CleanOptions
from workers.delivery import RedisDeliveryLog
from workers.fetch import AddressGuard, FetchPolicy, GuardedClient, guarded_client
from workers.nlp import LoadedModel, get_model
from workers.sinks import Sink, open_sink

log = structlog.get_logger(__name__)

_sinks: dict[str, Sink] = {}
_sinks_lock = threading.Lock()


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """This process's Redis connection pool (rides out a Redis restart: retries, backoff)."""
    settings = get_settings()
    return connect(str(settings.redis_url), outage_seconds=settings.redis_outage_seconds)


@lru_cache(maxsize=1)
def ledger() -> Ledger:
    """This process's ledger."""
    return Ledger(redis_client(), get_settings().article_state_ttl_seconds)


def clean_options() -> CleanOptions:
    """Cleaner options from settings."""
    settings = get_settings()
    return CleanOptions(
        max_bytes=settings.max_article_bytes,
        max_text_chars=settings.max_text_chars,
        max_html_tags=settings.max_html_tags,
    )


@lru_cache(maxsize=1)
def fetch_policy() -> FetchPolicy:
    """Limits and SSRF guard of url fetches and callbacks, from settings."""
    settings = get_settings()
    return FetchPolicy(
        guard=AddressGuard.from_entries(settings.fetch_allow_hosts, settings.fetch_allowed_ports),
        max_bytes=settings.max_article_bytes,
        max_redirects=settings.fetch_max_redirects,
        content_types=frozenset(settings.fetch_content_types),
        connect_timeout=settings.fetch_connect_timeout_seconds,
        read_timeout=settings.fetch_read_timeout_seconds,
        total_timeout=settings.fetch_total_timeout_seconds,
        user_agent=settings.fetch_user_agent,
    )


@lru_cache(maxsize=1)
def http_client() -> GuardedClient:
    """This process's guarded HTTP client (connections pooled across tasks)."""
    policy = fetch_policy()
    return guarded_client(policy.guard, timeout=policy.timeout(), user_agent=policy.user_agent)


def model() -> LoadedModel:
    """The NLP model, loaded once per process."""
    return get_model(get_settings().spacy_model)


def sinks_for(urls: list[str] | None) -> list[Sink]:
    """Open (once per process) and return the sinks for `urls`, or the configured default."""
    wanted = urls or get_settings().sinks
    with _sinks_lock:
        for url in wanted:
            if url not in _sinks:
                try:
                    _sinks[url] = open_sink(url)
                except ValueError as exc:  # a per-article sink URL that cannot work
                    why = str(exc).replace(url, mask_url(url))  # logged and dead-lettered
                    raise SinkRejected(f"cannot open sink: {why}") from exc
        return [_sinks[url] for url in wanted]


def delivery_log(article_id: str, run_id: str | None) -> RedisDeliveryLog:
    """Which sinks already took this article in this run (a publish retry skips them)."""
    return RedisDeliveryLog(
        redis_client(), article_id, run_id, get_settings().sink_delivery_ttl_seconds
    )


def close_sinks() -> None:
    """Flush and close every sink this process opened."""
    with _sinks_lock:
        while _sinks:
            url, sink = _sinks.popitem()
            try:
                sink.close()
                log.info("sink_closed", sink=url.split("://", 1)[0])
            except Exception as exc:  # closing must not stop the others from closing
                log.error("sink_close_failed", sink=url.split("://", 1)[0], error=str(exc))

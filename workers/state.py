"""Per-process state of a worker: settings-derived options, Redis, ledger, open sinks.

Built lazily on first use inside each (forked) worker process, never at import.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import redis
import structlog

from schemas.ledger import Ledger
from schemas.settings import get_settings
from workers.clean import CleanOptions
from workers.nlp import LoadedModel, get_model
from workers.sinks import Sink, open_sink

log = structlog.get_logger(__name__)

_sinks: dict[str, Sink] = {}
_sinks_lock = threading.Lock()


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """This process's Redis connection pool."""
    return redis.Redis.from_url(
        str(get_settings().redis_url), socket_timeout=10, socket_connect_timeout=5
    )


@lru_cache(maxsize=1)
def ledger() -> Ledger:
    """This process's ledger."""
    return Ledger(redis_client(), get_settings().article_state_ttl_seconds)


def clean_options() -> CleanOptions:
    """Cleaner options from settings."""
    return CleanOptions(max_bytes=get_settings().max_article_bytes)


def model() -> LoadedModel:
    """The NLP model, loaded once per process."""
    return get_model(get_settings().spacy_model)


def sinks_for(urls: list[str] | None) -> list[Sink]:
    """Open (once per process) and return the sinks for `urls`, or the configured default."""
    wanted = urls or get_settings().sinks
    with _sinks_lock:
        for url in wanted:
            if url not in _sinks:
                _sinks[url] = open_sink(url)
        return [_sinks[url] for url in wanted]


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

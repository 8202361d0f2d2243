"""The one place that maps a sink URL's scheme to its class."""

from __future__ import annotations

from collections.abc import Callable

from workers.sinks.base import Sink
from workers.sinks.jsonl import JsonlSink
from workers.sinks.memory import MemorySink
from workers.sinks.postgres import PostgresSink
from workers.sinks.redis_stream import RedisStreamSink
from workers.sinks.webhook import WebhookSink

SINKS: dict[str, Callable[[str], Sink]] = {
    "jsonl": JsonlSink,
    "memory": MemorySink,
    "redis-stream": RedisStreamSink,
    "rediss-stream": RedisStreamSink,
    "https": WebhookSink,
    "http": WebhookSink,
    "postgresql": PostgresSink,
    "postgres": PostgresSink,
}


def open_sink(url: str) -> Sink:
    """A sink for `url`, chosen by its scheme."""
    scheme = url.split("://", 1)[0].lower()
    try:
        factory = SINKS[scheme]
    except KeyError:
        known = ", ".join(f"{s}://" for s in sorted(SINKS))
        raise ValueError(
            f"no sink for scheme {scheme!r} in {url!r}: known schemes are {known}"
        ) from None
    return factory(url)

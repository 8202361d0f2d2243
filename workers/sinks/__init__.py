"""Where records go: sinks chosen by URL scheme."""

from workers.sinks.base import Sink, SinkBase
from workers.sinks.jsonl import JsonlSink
from workers.sinks.memory import MemorySink
from workers.sinks.postgres import PostgresSink
from workers.sinks.redis_stream import RedisStreamSink
from workers.sinks.registry import SINKS, open_sink
from workers.sinks.webhook import WebhookSink

__all__ = [
    "SINKS",
    "JsonlSink",
    "MemorySink",
    "PostgresSink",
    "RedisStreamSink",
    "Sink",
    "SinkBase",
    "WebhookSink",
    "open_sink",
]

"""Where records go: sinks chosen by URL scheme."""

from workers.sinks.base import Sink, SinkBase
from workers.sinks.jsonl import JsonlSink
from workers.sinks.memory import MemorySink
from workers.sinks.registry import SINKS, open_sink

__all__ = ["SINKS", "JsonlSink", "MemorySink", "Sink", "SinkBase", "open_sink"]

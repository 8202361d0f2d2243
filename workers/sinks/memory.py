"""In-memory sink: the twin of every real sink for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.record import Record
from workers.sinks.base import SinkBase

# Named stores, so a test can read what a sink opened from a URL received.
STORES: dict[str, list[Record]] = {}


class MemorySink(SinkBase):
    """Keep records in a list in `STORES[name]` (`memory://name`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.records = STORES.setdefault(url.split("://", 1)[1], [])
        self.closed = False

    def write_batch(self, records: Sequence[Record]) -> None:
        """Append the batch."""
        self.records.extend(records)

    def close(self) -> None:
        """Mark closed."""
        self.closed = True

"""The sink interface: write a batch of records, close. Usable as a context manager."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from schemas.record import Record


@runtime_checkable
class Sink(Protocol):
    """Somewhere records go. Implementations raise SinkUnavailable for retryable failures."""

    url: str

    def write_batch(self, records: Sequence[Record]) -> None:
        """Write every record of the batch, or raise."""
        ...

    def close(self) -> None:
        """Flush and release resources; safe to call twice."""
        ...


class SinkBase:
    """Context-manager plumbing shared by sinks."""

    def close(self) -> None:
        """Nothing to release by default."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

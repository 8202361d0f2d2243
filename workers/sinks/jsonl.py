"""JSON Lines file sink: one record per line, appends that never interleave.

Several worker processes (even on one NFS-less host) may append to one file: each batch is
written with a single `write` on an O_APPEND descriptor under an exclusive `flock`, so two
records never interleave. The file is fsynced on close (worker shutdown) and, with
`?fsync=always`, after every batch. Consumers drop duplicates by `article_id`: delivery is
at-least-once.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from schemas.errors import SinkUnavailable
from schemas.record import Record
from workers.sinks.base import SinkBase


def jsonl_path(url: str) -> Path:
    """`jsonl:///abs/out.jsonl` → /abs/out.jsonl; `jsonl://./rel/out.jsonl` → ./rel/out.jsonl."""
    rest = url.split("://", 1)[1].split("?", 1)[0]
    if not rest or rest.endswith("/"):
        raise ValueError(f"sink {url!r} names no file: use jsonl:///abs/path/records.jsonl")
    return Path(rest)


class JsonlSink(SinkBase):
    """Append records to a JSON Lines file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = jsonl_path(url)
        query = parse_qs(urlsplit(url).query)
        self._fsync_each = query.get("fsync", ["close"])[0] == "always"
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise SinkUnavailable(
                    f"cannot open {self.path} for appending ({exc.strerror}): "
                    "check the directory exists and is writable"
                ) from exc
        return self._fd

    def write_batch(self, records: Sequence[Record]) -> None:
        """Append the batch as consecutive lines in one locked write."""
        if not records:
            return
        data = b"".join(r.model_dump_json().encode() + b"\n" for r in records)
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if self._fsync_each:
                    os.fsync(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as exc:
            raise SinkUnavailable(
                f"writing to {self.path} failed ({exc.strerror}): check disk space"
            ) from exc

    def close(self) -> None:
        """Flush to disk and close the file."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

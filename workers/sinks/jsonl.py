"""JSON Lines file sink: one record per line, appends that never interleave, optional rotation.

Several worker processes (even on one NFS-less host) may append to one file: each batch is
written with a single `write` on an O_APPEND descriptor under an exclusive `flock`, so two
records never interleave. The file is fsynced on close (worker shutdown) and, with
`?fsync=always`, after every batch. Consumers drop duplicates by `article_id`: delivery is
at-least-once.

Rotation (`?rotate=daily`, `?max_bytes=N`, or both): under the lock, the writer that finds the
file due renames it to a timestamped sibling (`records.2024-05-01.jsonl` for a day,
`records.2024-05-01T10-11-12.123456Z.jsonl` for size) and starts a new one. The lock then lives
on a sidecar `<file>.lock` that is never renamed, and every writer checks under it that its
descriptor still names the live file (same inode), reopening when another process rotated.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
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


@dataclass(frozen=True)
class Rotation:
    """When to start a new file: at the first write of a new UTC day, past a size, or never."""

    daily: bool = False
    max_bytes: int | None = None

    @property
    def enabled(self) -> bool:
        """True when some rule can rotate the file."""
        return self.daily or self.max_bytes is not None

    @classmethod
    def from_url(cls, url: str) -> Rotation:
        """`?rotate=daily` and/or `?max_bytes=N` (N > 0; `k`, `m`, `g` suffixes allowed)."""
        query = parse_qs(urlsplit(url).query)
        rotate = query.get("rotate", [""])[0].lower()
        if rotate not in {"", "daily", "size", "never"}:
            raise ValueError(
                f"sink {url!r}: rotate={rotate!r} is not known: use rotate=daily or max_bytes=N"
            )
        size = query.get("max_bytes", [""])[0]
        max_bytes = _parse_size(size, url) if size else None
        if rotate == "size" and max_bytes is None:
            raise ValueError(f"sink {url!r}: rotate=size needs max_bytes=N")
        return cls(daily=rotate == "daily", max_bytes=max_bytes)

    def due(self, size: int, mtime: float, incoming: int, now: datetime) -> bool:
        """True when a file of `size` bytes last written at `mtime` must rotate first."""
        if size == 0:
            return False  # an empty file is never rotated, whatever the rule
        if self.daily and _utc_day(mtime) < now.date():
            return True
        return self.max_bytes is not None and size + incoming > self.max_bytes


def rotated_name(path: Path, rotation: Rotation, mtime: float, now: datetime) -> Path:
    """The name a full file takes: its day (daily: all its lines were written then), else now.

    Daily rotation happens at the first write of a new day, so the file's last write (mtime)
    names the one day its lines belong to.
    """
    if rotation.daily and _utc_day(mtime) < now.date():
        stamp = _utc_day(mtime).isoformat()
    else:
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    return path.with_name(f"{path.stem}.{stamp}{path.suffix}")


def free_name(candidate: Path) -> Path:
    """`candidate`, or `stem-1.suffix`, `stem-2.suffix`, … when it exists (never overwrite)."""
    found, n = candidate, 0
    while found.exists():
        n += 1
        found = candidate.with_name(f"{candidate.stem}-{n}{candidate.suffix}")
    return found


class JsonlSink(SinkBase):
    """Append records to a JSON Lines file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = jsonl_path(url)
        query = parse_qs(urlsplit(url).query)
        self._fsync_each = query.get("fsync", ["close"])[0] == "always"
        self.rotation = Rotation.from_url(url)
        self._fd: int | None = None
        self._lock_fd: int | None = None

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

    def _lock_target(self) -> int:
        """The descriptor to flock: the file itself, or with rotation a sidecar never renamed."""
        if not self.rotation.enabled:
            return self._open()
        if self._lock_fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                lock_path = self.path.with_name(self.path.name + ".lock")
                self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise SinkUnavailable(
                    f"cannot open the lock file next to {self.path} ({exc.strerror}): "
                    "check the directory is writable"
                ) from exc
        return self._lock_fd

    def write_batch(self, records: Sequence[Record]) -> None:
        """Append the batch as consecutive lines in one locked write (rotating first if due)."""
        if not records:
            return
        data = b"".join(r.model_dump_json().encode() + b"\n" for r in records)
        try:
            lock = self._lock_target()
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                fd = self._rotate_if_due(len(data)) if self.rotation.enabled else self._open()
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if self._fsync_each:
                    os.fsync(fd)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        except OSError as exc:
            raise SinkUnavailable(
                f"writing to {self.path} failed ({exc.strerror}): check disk space"
            ) from exc

    def _rotate_if_due(self, incoming: int) -> int:
        """Under the lock: follow another process's rotation, then rotate if this write must."""
        fd = self._open()
        try:
            live = os.stat(self.path)
        except FileNotFoundError:
            live = None
        mine = os.fstat(fd)
        if live is None or (live.st_ino, live.st_dev) != (mine.st_ino, mine.st_dev):
            self._close_fd()  # another writer rotated (or removed) the file: follow it
            fd = self._open()
            mine = os.fstat(fd)
        now = datetime.now(UTC)
        if self.rotation.due(mine.st_size, mine.st_mtime, incoming, now):
            target = free_name(rotated_name(self.path, self.rotation, mine.st_mtime, now))
            os.fsync(fd)
            os.rename(self.path, target)
            self._close_fd()
            fd = self._open()
        return fd

    def _close_fd(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def close(self) -> None:
        """Flush to disk and close the file."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if self._lock_fd is not None:
            lock, self._lock_fd = self._lock_fd, None
            os.close(lock)


def _utc_day(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


def _parse_size(text: str, url: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    number, unit = (text[:-1], units[text[-1].lower()]) if text[-1:].lower() in units else (text, 1)
    if not number.isdigit() or int(number) * unit <= 0:
        raise ValueError(
            f"sink {url!r}: max_bytes={text!r} is not a positive size (e.g. 104857600 or 100m)"
        )
    return int(number) * unit

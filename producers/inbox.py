"""The inbox folder of `newsflow watch`: which files are ready, and crash-safe moves.

    INBOX/                 producers drop files here (complete: renamed into place, or settled)
    INBOX/processing/      claimed by the watcher (atomic rename), waiting for the ledger
    INBOX/processing/.intent.json   the one file being submitted right now (crash recovery)
    INBOX/done/            published (or a duplicate of something published)
    INBOX/failed/          rejected, with `<name>.reason` (JSON: reason code, stage, message)
    INBOX/.newsflow-watch.lock      one watcher per inbox (flock, released when it dies)

Everything here is plain filesystem work with no Redis, so it is unit-tested on its own.
Moves are `os.rename` inside one filesystem: atomic, so a file is always in exactly one place.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from schemas.article import ContentType
from schemas.inputs import content_type_for

PROCESSING: Final = "processing"
DONE: Final = "done"
FAILED: Final = "failed"
LOCK_NAME: Final = ".newsflow-watch.lock"
INTENT_NAME: Final = ".intent.json"
REASON_SUFFIX: Final = ".reason"

# Names writers use while a file is still being written; never taken, however old.
IN_PROGRESS_SUFFIXES: Final = frozenset(
    {".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp"}
)


def is_candidate(name: str) -> bool:
    """True for a name the watcher may take: not hidden, not a writer's temporary name."""
    if name.startswith(".") or name.endswith("~"):
        return False
    return Path(name).suffix.lower() not in IN_PROGRESS_SUFFIXES


def content_type_of(name: str) -> ContentType | None:
    """Content type from the extension; `.json` is declared JSON so a broken envelope fails."""
    if Path(name).suffix.lower() == ".json":
        return "application/json"
    return content_type_for(Path(name))


@dataclass(frozen=True)
class FileSignature:
    """What changes while a file is being written."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileSignature:
        """The signature of a stat result."""
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino)


def stable_for(
    signature: FileSignature, unchanged_since: float, now_monotonic: float, now_wall: float
) -> float:
    """Seconds the file has provably not changed: since we first saw this signature, or since
    its mtime, whichever is longer (so files already quiet at start-up need not wait)."""
    return max(now_monotonic - unchanged_since, now_wall - signature.mtime_ns / 1e9)


class SettleTracker:
    """Remembers each inbox file's signature; a file is ready once unchanged for `settle` s."""

    def __init__(self, settle_seconds: float) -> None:
        self.settle_seconds = settle_seconds
        self._seen: dict[str, tuple[FileSignature, float]] = {}

    def observe(
        self, name: str, signature: FileSignature, now_monotonic: float, now_wall: float
    ) -> bool:
        """Record one sighting; True when the file has settled and may be claimed."""
        previous = self._seen.get(name)
        if previous is None or previous[0] != signature:
            self._seen[name] = (signature, now_monotonic)
            since = now_monotonic
        else:
            since = previous[1]
        return stable_for(signature, since, now_monotonic, now_wall) >= self.settle_seconds

    def keep_only(self, names: set[str]) -> None:
        """Forget files that are gone (claimed, deleted or renamed away)."""
        for name in self._seen.keys() - names:
            del self._seen[name]

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True)
class InboxEntry:
    """One candidate file seen in the inbox."""

    name: str
    signature: FileSignature


@dataclass(frozen=True)
class Intent:
    """The file being submitted: recorded before its claim so a crash can be resolved."""

    name: str
    run_id: str


def unique_name(folder: Path, name: str) -> str:
    """`name`, or `stem~N.suffix` with the smallest N that is free in `folder`.

    Only the file itself counts, not a leftover `.reason`: after a crash between writing the
    reason and moving the file, the same name is chosen again and the reason overwritten.
    """
    if not (folder / name).exists():
        return name
    path = Path(name)
    n = 1
    while (folder / f"{path.stem}~{n}{path.suffix}").exists():
        n += 1
    return f"{path.stem}~{n}{path.suffix}"


def write_atomically(path: Path, text: str) -> None:
    """Write through a hidden temporary file and rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Inbox:
    """The inbox folder and its `processing/`, `done/` and `failed/` sub-folders."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.processing = root / PROCESSING
        self.done = root / DONE
        self.failed = root / FAILED
        self._lock: TextIO | None = None

    def prepare(self) -> None:
        """Create the sub-folders (the inbox itself must exist: a typo should not create one)."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"inbox {self.root} is not a folder: create it first")
        for folder in (self.processing, self.done, self.failed):
            folder.mkdir(exist_ok=True)

    def lock(self) -> None:
        """Take the inbox for this process; BlockingIOError when another watcher holds it."""
        handle = open(self.root / LOCK_NAME, "a+")  # noqa: SIM115 - held for the process life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def unlock(self) -> None:
        """Release the inbox (the kernel also does this when the process dies)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def scan(self) -> Iterator[InboxEntry]:
        """Candidate regular files at the top of the inbox (symlinks and folders are skipped)."""
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not is_candidate(entry.name):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    yield InboxEntry(
                        entry.name, FileSignature.of(entry.stat(follow_symlinks=False))
                    )
                except FileNotFoundError:  # gone between listing and stat
                    continue

    def in_processing(self) -> list[str]:
        """Names of the claimed files (left there by a previous run, or in flight)."""
        with os.scandir(self.processing) as entries:
            return sorted(
                e.name for e in entries if is_candidate(e.name) and e.is_file(follow_symlinks=False)
            )

    def claim(self, name: str, as_name: str) -> Path:
        """Move an inbox file into `processing/` (FileNotFoundError when it vanished)."""
        target = self.processing / as_name
        os.rename(self.root / name, target)
        return target

    def to_done(self, name: str) -> str:
        """Move a processed file to `done/`; returns its name there."""
        final = unique_name(self.done, name)
        os.rename(self.processing / name, self.done / final)
        return final

    def to_failed(self, name: str, reason: dict[str, Any]) -> str:
        """Write `failed/<final>.reason`, then move the file next to it; returns its name."""
        final = unique_name(self.failed, name)
        write_atomically(
            self.failed / f"{final}{REASON_SUFFIX}", json.dumps(reason, indent=2) + "\n"
        )
        os.rename(self.processing / name, self.failed / final)
        return final

    def write_intent(self, intent: Intent) -> None:
        """Record the file about to be claimed and submitted."""
        write_atomically(
            self.processing / INTENT_NAME,
            json.dumps({"name": intent.name, "run_id": intent.run_id}),
        )

    def read_intent(self) -> Intent | None:
        """The intent left by a run that stopped mid-submit, if any."""
        try:
            data = json.loads((self.processing / INTENT_NAME).read_text(encoding="utf-8"))
            return Intent(name=str(data["name"]), run_id=str(data["run_id"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # not ours (we write it atomically, so it is never torn)

    def clear_intent(self) -> None:
        """The submit finished (or never started): nothing is in doubt any more."""
        (self.processing / INTENT_NAME).unlink(missing_ok=True)

"""Backfill inputs as one lazy stream of articles: files, folders, globs, JSON Lines, archives.

    spec ─► walk_inputs (files, folders, globs; escaping symlinks refused)
         └► by name:  *.tar, *.tar.gz|tgz|bz2|xz  ─► tar members, one at a time (stream mode)
                      *.zip                       ─► zip members, one at a time
                      *.jsonl|ndjson[.gz]         ─► one envelope per line
                      *.gz                        ─► one article, decompressed
                      anything else               ─► one article
    each ─► InputItem (bytes + where + hints)  or  RefusedItem (where + reason, maybe bytes)

Nothing is read whole: an article is read up to the size cap plus one byte, archives and
compressed files are streamed, and a member over the cap is refused from its header without
reading it. Archive members with absolute paths, `..`, links or devices are refused, as are
nested archives (extract those first).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Literal, cast

from pydantic import TypeAdapter, ValidationError

from schemas.article import ArticleEnvelope, ContentType
from schemas.errors import ArticleTooLarge, MalformedEnvelope, validation_summary
from schemas.inputs import (
    UNREADABLE,
    UNSAFE_PATH,
    RefusedPath,
    content_type_for,
    is_article_name,
    walk_inputs,
)

InputKind = Literal["tar", "zip", "jsonl", "gzip", "article"]

NESTED_ARCHIVE = "nested_archive"
TOO_LARGE = ArticleTooLarge.reason
MALFORMED = MalformedEnvelope.reason

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_JUNK_DIRS = frozenset({"__MACOSX"})  # resource forks that macOS zips carry beside each file
_CHUNK = 1 << 16
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class InputItem:
    """One article found in the inputs, its bytes in memory (at most the size cap)."""

    raw: bytes
    path: str  # `a.txt`, `a.tar.gz!/dir/b.txt`, `a.jsonl:17`, `a.zip!/c.jsonl:3`
    content_type: ContentType | None
    published_at: date | datetime | None = None  # from the envelope, when there is one
    modified_at: datetime | None = None  # the file's or member's modification time


@dataclass(frozen=True, slots=True)
class RefusedItem:
    """Something in the inputs that is not sent, and why (`raw` when it was read)."""

    path: str
    reason: str
    error: str
    raw: bytes | None = None


Item = InputItem | RefusedItem


def kind_of(name: str, *, named: bool = False) -> InputKind | None:
    """How a file is read, from its name; None: not an article (skipped in folders)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    lowered = base.lower()
    if lowered.endswith(_TAR_SUFFIXES):
        return "tar"
    if lowered.endswith(".zip"):
        return "zip"
    if lowered.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if lowered.endswith(".gz"):
        return "gzip" if named or is_article_name(base[:-3]) else None
    return "article" if named or is_article_name(base) else None


def is_backfill_name(name: str) -> bool:
    """True for a file name a backfill folder walk takes (articles and containers)."""
    return kind_of(name) is not None


def unsafe_member_name(name: str) -> str | None:
    """Why an archive member's name is unsafe to honour (absolute, `..`), else None."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return f"member {name!r} has an absolute path"
    if ".." in PurePosixPath(normalised).parts:
        return f"member {name!r} climbs out of the archive with '..'"
    return None


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p.startswith(".") or p in _JUNK_DIRS for p in parts if p not in {".", "/"})


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class InputReader:
    """Iterate the articles of backfill specs lazily; `bytes_done` feeds a progress bar."""

    def __init__(self, specs: list[str], *, max_bytes: int) -> None:
        self.specs = specs
        self.max_bytes = max_bytes
        self._done_before = 0  # bytes of the top-level files already finished
        self._current: IO[bytes] | None = None

    @property
    def total_bytes(self) -> int | None:
        """Size of the inputs when they are all named files; None with a folder or glob."""
        total = 0
        for spec in self.specs:
            path = Path(spec)
            if not path.is_file():
                return None
            total += path.stat().st_size
        return total

    @property
    def bytes_done(self) -> int:
        """Bytes of the top-level input files consumed so far (compressed bytes for archives)."""
        current = 0
        if self._current is not None and not self._current.closed:
            try:
                current = self._current.tell()
            except (OSError, ValueError):
                current = 0
        return self._done_before + current

    def __iter__(self) -> Iterator[Item]:
        named = {Path(s) for s in self.specs}
        for found in walk_inputs(self.specs, is_backfill_name):
            if isinstance(found, RefusedPath):
                yield RefusedItem(str(found.path), found.reason, found.error)
                continue
            kind = kind_of(found.name, named=found in named)
            if kind is None:
                continue
            yield from self._file(found, kind)

    def _file(self, path: Path, kind: InputKind) -> Iterator[Item]:
        label = str(path)
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                self._current = fh
                try:
                    yield from self._open(fh, label, kind, size, _utc(path.stat().st_mtime))
                finally:
                    self._current = None
        except OSError as exc:
            yield RefusedItem(label, UNREADABLE, f"cannot read {label}: {exc}")
            return
        self._done_before += size

    def _open(
        self, fh: IO[bytes], label: str, kind: InputKind, size: int | None, mtime: datetime | None
    ) -> Iterator[Item]:
        """Items of one opened file or member, by kind."""
        if kind == "tar":
            yield from self._tar(fh, label)
        elif kind == "zip":
            yield from self._zip(fh, label)
        elif kind == "jsonl":
            yield from self._jsonl(_maybe_gunzip(fh, label), label, mtime)
        elif kind == "gzip":
            inner = label[: -len(".gz")]
            yield from self._one(_gunzip(fh), label, inner, None, mtime)
        else:
            yield from self._one(fh, label, label, size, mtime)

    def _one(
        self, fh: IO[bytes], label: str, name: str, size: int | None, mtime: datetime | None
    ) -> Iterator[Item]:
        """One article: refused from its size when known, else read up to the cap plus one."""
        if size is not None and size > self.max_bytes:
            yield self._too_large(label, f"{size:,} bytes, more")
            return
        try:
            raw = fh.read(self.max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            yield RefusedItem(label, UNREADABLE, f"cannot read {label}: {exc}")
            return
        if len(raw) > self.max_bytes:
            yield self._too_large(label, "more bytes")
            return
        yield InputItem(raw, label, content_type_for(name), modified_at=mtime)

    def _too_large(self, label: str, size: str) -> RefusedItem:
        return RefusedItem(
            label,
            TOO_LARGE,
            f"{label} has {size} than the {self.max_bytes:,}-byte limit "
            "(NEWSFLOW_MAX_ARTICLE_BYTES): not read",
        )

    def _jsonl(self, fh: IO[bytes], label: str, mtime: datetime | None) -> Iterator[Item]:
        """One envelope per line; a bad line is refused with its bytes and line number."""
        number = 0
        try:
            while True:
                line = fh.readline(self.max_bytes + 1)
                if not line:
                    return
                number += 1
                where = f"{label}:{number}"
                if len(line) > self.max_bytes and not line.endswith(b"\n"):
                    _skip_rest_of_line(fh)
                    yield self._too_large(where, "more bytes")
                    continue
                body = line.rstrip(b"\r\n")
                if number == 1 and body.startswith(_BOM):
                    body = body[len(_BOM) :]
                if not body.strip():
                    continue  # blank lines separate nothing in JSON Lines
                yield _envelope_item(body, where, mtime)
        except (OSError, EOFError, zlib.error) as exc:
            yield RefusedItem(label, UNREADABLE, f"cannot read {label} after line {number}: {exc}")

    def _tar(self, fh: IO[bytes], label: str) -> Iterator[Item]:
        """Members one by one in stream mode (`r|*`): the archive is read once, front to back."""
        try:
            with tarfile.open(fileobj=_decompressed(fh, label), mode="r|*") as tar:
                while (member := tar.next()) is not None:
                    # Stream mode keeps every header it has read: drop them, memory stays flat.
                    tar.members = []  # type: ignore[attr-defined]
                    yield from self._tar_member(tar, member, label)
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
            yield RefusedItem(label, UNREADABLE, f"cannot read the archive {label}: {exc}")

    def _tar_member(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo, label: str
    ) -> Iterator[Item]:
        where = f"{label}!/{member.name}"
        kind = screen_member(
            where,
            member.name,
            is_dir=member.isdir(),
            is_link=member.issym() or member.islnk(),
            is_special=not member.isreg(),  # asked after folders and links
        )
        if not isinstance(kind, str):
            yield from kind
            return
        data = tar.extractfile(member)
        if data is None:
            return
        yield from self._open(data, where, kind, member.size, _utc(member.mtime))

    def _zip(self, fh: IO[bytes], label: str) -> Iterator[Item]:
        """Members one by one from the central directory; each read through a capped stream."""
        try:
            with zipfile.ZipFile(fh) as archive:
                for info in archive.infolist():
                    yield from self._zip_member(archive, info, label)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            yield RefusedItem(label, UNREADABLE, f"cannot read the archive {label}: {exc}")

    def _zip_member(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str
    ) -> Iterator[Item]:
        where = f"{label}!/{info.filename}"
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        kind = screen_member(where, info.filename, is_dir=info.is_dir(), is_link=is_link)
        if not isinstance(kind, str):
            yield from kind
            return
        if info.flag_bits & 0x1:
            yield RefusedItem(where, UNREADABLE, f"member {info.filename!r} is encrypted")
            return
        try:
            with archive.open(info) as data:
                yield from self._open(data, where, kind, info.file_size, _zip_time(info))
        except zipfile.BadZipFile as exc:
            # A damaged member, or one inflating past the size its header declares (a zip
            # bomb that lies): refused alone, and the members after it are still read.
            yield RefusedItem(where, UNREADABLE, f"cannot read member {info.filename!r}: {exc}")


def screen_member(
    where: str, name: str, *, is_dir: bool, is_link: bool, is_special: bool = False
) -> InputKind | list[RefusedItem]:
    """An archive member's kind when it is an article to read; else what to yield instead:
    a refusal (unsafe name, link, device, nested archive) or nothing (folder, other file)."""
    refused = unsafe_member_name(name)
    if refused is not None:
        return [RefusedItem(where, UNSAFE_PATH, f"{refused}: refused")]
    if is_dir or _hidden(name):
        return []
    if is_link:
        why = f"member {name!r} is a link: archive links are refused"
        return [RefusedItem(where, UNSAFE_PATH, why)]
    if is_special:
        return [RefusedItem(where, UNSAFE_PATH, f"member {name!r} is a device or fifo: refused")]
    kind = kind_of(name)
    if kind is None:
        return []
    if kind in ("tar", "zip"):
        return [_nested(where)]
    return kind


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time, tzinfo=UTC)  # zip times carry no zone: read as UTC
    except ValueError:
        return None


def _decompressed(fh: IO[bytes], label: str) -> IO[bytes]:
    """The tar stream inside a compressed file, decompressed by a reader that checks the end.

    tarfile's own stream decompression takes a cut-off archive for a complete one; these
    readers raise EOFError on truncation and check gzip's CRC.
    """
    lowered = label.lower()
    if lowered.endswith((".gz", ".tgz")):
        return _gunzip(fh)
    if lowered.endswith((".bz2", ".tbz2")):
        return bz2.BZ2File(fh)  # type: ignore[return-value]
    if lowered.endswith((".xz", ".txz")):
        return lzma.LZMAFile(fh)  # type: ignore[return-value]
    return fh


def _maybe_gunzip(fh: IO[bytes], label: str) -> IO[bytes]:
    return _gunzip(fh) if label.lower().endswith(".gz") else fh


def _gunzip(fh: IO[bytes]) -> IO[bytes]:
    """A gzip stream read on the fly: raises EOFError when cut off, checks the CRC at the end."""
    return cast(IO[bytes], gzip.GzipFile(fileobj=fh))


def _skip_rest_of_line(fh: IO[bytes]) -> None:
    """Consume an over-long line in chunks, never holding it whole."""
    while True:
        chunk = fh.readline(_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def _nested(where: str) -> RefusedItem:
    return RefusedItem(
        where, NESTED_ARCHIVE, f"{where} is an archive inside an archive: extract it first"
    )


def _envelope_item(body: bytes, where: str, mtime: datetime | None) -> Item:
    """A JSON Lines line: valid envelope → article sent as the line's own bytes."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return RefusedItem(where, MALFORMED, f"line is not JSON: {exc}", body)
    if not isinstance(data, dict):
        return RefusedItem(where, MALFORMED, "line is not a JSON object", body)
    try:
        envelope = ArticleEnvelope.model_validate(data)
    except ValidationError as exc:
        return RefusedItem(
            where,
            MALFORMED,
            f"invalid envelope {validation_summary(exc)}; "
            "fields are text|html|url, title, published_at, outlet, crawled_at",
            body,
        )
    # The line's own bytes are the article: the same JSON posted to the webhook gets the same id.
    return InputItem(
        body, where, "application/json", published_at=envelope.published_at, modified_at=mtime
    )


_PUBLISHED_AT: TypeAdapter[date | datetime] = TypeAdapter(date | datetime)


def envelope_published_at(raw: bytes) -> date | datetime | None:
    """`published_at` of a raw JSON envelope (a `.json` file), None when it has none."""
    if not raw.lstrip(_BOM + b" \t\r\n").startswith(b"{"):
        return None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        if isinstance(data, dict) and data.get("published_at") is not None:
            return _PUBLISHED_AT.validate_python(data["published_at"])
    except (ValueError, ValidationError):
        return None
    return None

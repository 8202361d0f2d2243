"""Which files count as articles, found lazily: the input contract of backfill and `process`.

Walking is safe by default: a symlink is followed only when it resolves inside one of the
roots the user named (a folder, or the fixed part of a glob); one that escapes them is
reported as a `RefusedPath`, never read.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from schemas.article import ContentType

log = structlog.get_logger(__name__)

# Extensions taken when walking a folder; a file named explicitly is always taken.
ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".html", ".htm", ".xhtml", ".json", ""})

_CONTENT_TYPES: dict[str, ContentType] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".txt": "text/plain",
    ".text": "text/plain",
}

_README_NAMES = frozenset({"readme.md", "readme", "readme.txt"})

# Reason code of a refused path or archive member (same vocabulary as `schemas.errors`).
UNSAFE_PATH = "unsafe_path"
UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class RefusedPath:
    """A path found while walking that must not be read, and why."""

    path: Path
    reason: str
    error: str


def content_type_for(path: Path | str) -> ContentType | None:
    """The content type implied by a file's extension (None: let the cleaner sniff)."""
    return _CONTENT_TYPES.get(Path(path).suffix.lower())


def is_article_name(name: str) -> bool:
    """True for a file name a folder walk takes as one article."""
    lowered = name.lower()
    return Path(lowered).suffix in ARTICLE_SUFFIXES and lowered not in _README_NAMES


def iter_article_files(specs: list[str]) -> Iterator[Path]:
    """Yield article files from files, folders (recursive, sorted per level) and globs.

    Streaming: folders are walked with `os.scandir`, one level at a time, so a million files
    are never listed in memory at once. Hidden files and folders are skipped when walking.
    Symlinks escaping the named roots are logged and left out.
    """
    for found in walk_inputs(specs):
        if isinstance(found, RefusedPath):
            log.warning("input_refused", path=str(found.path), reason=found.reason)
            continue
        yield found


def walk_inputs(
    specs: list[str], wanted: Callable[[str], bool] = is_article_name
) -> Iterator[Path | RefusedPath]:
    """Files named, found in folders or matched by globs, plus the paths refused on the way.

    A file named explicitly is always taken; inside folders only names `wanted` accepts.
    Raises FileNotFoundError for a spec that names nothing (before yielding anything).
    """
    roots: list[Path] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            roots.append(path.resolve())
        elif glob.has_magic(spec):
            roots.append(_glob_base(spec).resolve())
        elif not path.is_file():
            raise FileNotFoundError(f"no such file, folder or matching glob: {spec}")
    walker = _Walker(tuple(roots), wanted)
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            yield from walker.walk(path)
        elif path.is_file():
            yield path
        else:
            for match in glob.iglob(spec, recursive=True):
                yield from walker.matched(Path(match))


def _glob_base(spec: str) -> Path:
    """The fixed folder a glob starts from (`data/*/x.txt` → `data`)."""
    fixed: list[str] = []
    for part in Path(spec).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


class _Walker:
    """Recursive folder walk that refuses symlinks leading outside the roots."""

    def __init__(self, roots: tuple[Path, ...], wanted: Callable[[str], bool]) -> None:
        self._roots = roots
        self._wanted = wanted

    def _inside(self, target: Path) -> bool:
        return any(target.is_relative_to(root) for root in self._roots)

    def matched(self, path: Path) -> Iterator[Path | RefusedPath]:
        """A glob match: taken like a named file or folder, unless it escapes the roots."""
        target = path.resolve()
        if not self._inside(target):
            yield _escaping(path, target)
            return
        if path.is_dir():
            yield from self.walk(path)
        elif path.is_file():
            yield path

    def walk(
        self, folder: Path, seen: frozenset[Path] = frozenset()
    ) -> Iterator[Path | RefusedPath]:
        """Every wanted file under `folder`, sorted per level; hidden entries skipped."""
        here = folder.resolve()
        if here in seen:  # a symlink loop back to a folder on the current path
            return
        seen = seen | {here}
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:  # permissions, or the folder vanished mid-walk
            yield RefusedPath(folder, UNREADABLE, f"cannot list the folder {folder}: {exc}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                yield from self._symlink(path, seen)
            elif entry.is_dir(follow_symlinks=False):
                yield from self.walk(path, seen)
            elif entry.is_file(follow_symlinks=False) and self._wanted(entry.name):
                yield path

    def _symlink(self, path: Path, seen: frozenset[Path]) -> Iterator[Path | RefusedPath]:
        target = path.resolve()
        if target.is_file() and not self._wanted(path.name):
            return  # would not be taken anyway: nothing to refuse
        if not target.exists():
            yield RefusedPath(path, UNREADABLE, f"{path} is a dangling symlink (to {target})")
        elif not self._inside(target):
            yield _escaping(path, target)
        elif target.is_dir():
            yield from self.walk(path, seen)
        elif target.is_file():
            yield path


def _escaping(path: Path, target: Path) -> RefusedPath:
    return RefusedPath(
        path,
        UNSAFE_PATH,
        f"{path} is a symlink to {target}, outside the folders given: refused "
        "(name the target itself to take it)",
    )

"""Which files count as articles, found lazily: the input contract of backfill and `process`."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from pathlib import Path

from schemas.article import ContentType

# Extensions taken when walking a folder; a file named explicitly is always taken.
ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".html", ".htm", ".xhtml", ".json", ""})

_CONTENT_TYPES: dict[str, ContentType] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".txt": "text/plain",
    ".text": "text/plain",
}


def content_type_for(path: Path) -> ContentType | None:
    """The content type implied by a file's extension (None: let the cleaner sniff)."""
    return _CONTENT_TYPES.get(path.suffix.lower())


def iter_article_files(specs: list[str]) -> Iterator[Path]:
    """Yield article files from files, folders (recursive, sorted per level) and globs.

    Streaming: folders are walked with `os.scandir`, one level at a time, so a million files
    are never listed in memory at once. Hidden files and folders are skipped when walking.
    """
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path
        elif glob.has_magic(spec):
            for match in glob.iglob(spec, recursive=True):
                p = Path(match)
                if p.is_dir():
                    yield from _walk(p)
                elif p.is_file():
                    yield p
        else:
            raise FileNotFoundError(f"no such file, folder or matching glob: {spec}")


def _walk(folder: Path) -> Iterator[Path]:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file() and Path(entry.name).suffix.lower() in ARTICLE_SUFFIXES:
            if entry.name.lower() in {"readme.md", "readme", "readme.txt"}:
                continue
            yield Path(entry.path)

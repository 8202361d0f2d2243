"""Which pipeline made an article's published record, and which one is installed now.

Records carry `pipeline.version` (the newsflow release) and `pipeline.model` (the spaCy
package, `lang_name-version`). When the publish task writes a record it also notes that pair
on the article's ledger entry (90-day TTL, longer than the record store's 7 days), so
`newsflow backfill --resume --force-version` can tell, without reading any sink, which
published articles an upgrade should process again. The current pair is read from package
metadata, never by importing spaCy, so producers stay light.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import redis

from schemas import names

VERSION_FIELD = "pipeline_version"
MODEL_FIELD = "pipeline_model"
UNKNOWN_VERSION = "0+unknown"  # a source tree that was not installed (as workers/pipeline.py)

# Written only while the entry exists: it carries the TTL, and a write to an expired entry
# would make one that never expires.
_NOTE = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class PipelineStamp:
    """The pipeline release and model label that produced (or would produce) a record."""

    version: str
    model: str | None

    def __str__(self) -> str:
        return f"newsflow {self.version}, model {self.model or 'unknown'}"


def newsflow_version() -> str:
    """The installed newsflow release (what workers write to `pipeline.version`)."""
    try:
        return version("newsflow")
    except PackageNotFoundError:
        return UNKNOWN_VERSION


def model_label(package: str) -> str | None:
    """`lang_name-version` of an installed spaCy package, from its meta.json (not imported)."""
    spec = importlib.util.find_spec(package)  # a top-level package: found, not executed
    if spec is None or not spec.submodule_search_locations:
        return None
    meta_path = Path(next(iter(spec.submodule_search_locations))) / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return f"{meta.get('lang', 'xx')}_{meta.get('name', package)}-{meta.get('version', 'unknown')}"


def current_stamp(spacy_model: str) -> PipelineStamp:
    """What a worker with this installation and NEWSFLOW_SPACY_MODEL would stamp now."""
    return PipelineStamp(newsflow_version(), model_label(spacy_model))


def stamp_of(entry: dict[str, str]) -> PipelineStamp | None:
    """The stamp noted on a ledger entry, or None (published before stamps were kept)."""
    if VERSION_FIELD not in entry:
        return None
    return PipelineStamp(entry[VERSION_FIELD], entry.get(MODEL_FIELD) or None)


def note_stamp(client: redis.Redis, article_id: str, stamp: PipelineStamp) -> bool:
    """Note on the article's ledger entry which pipeline made its record (False: no entry)."""
    script = client.register_script(_NOTE)
    args = [VERSION_FIELD, stamp.version, MODEL_FIELD, stamp.model or ""]
    return bool(script(keys=[names.article_key(article_id)], args=args))

"""The spaCy pipeline behind a small interface, loaded once per process.

A larger model is swapped in by configuration (NEWSFLOW_SPACY_MODEL names an installed
package); nothing is ever downloaded at run time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import spacy
import structlog
from spacy.language import Language

from workers.nlp.kb import load_kb

log = structlog.get_logger(__name__)

_lock = threading.Lock()
_loaded: dict[str, LoadedModel] = {}
load_count = 0  # how many times a model was actually read from disk in this process


@dataclass(frozen=True)
class LoadedModel:
    """A loaded pipeline and what records say about it."""

    nlp: Language
    name: str
    version: str
    load_seconds: float
    kb_version: str = "missing"

    @property
    def label(self) -> str:
        """`name-version`, as stored in each record's `pipeline.model`."""
        return f"{self.name}-{self.version}"


def get_model(package: str) -> LoadedModel:
    """The pipeline of installed package `package`, loaded on first use in this process."""
    global load_count
    with _lock:
        if package not in _loaded:
            started = time.perf_counter()
            # The parser is kept: events need the dependency tree.
            nlp = spacy.load(package, exclude=["senter"])
            # Explicit registration: importing the module registers the factory.
            from workers.nlp import repair  # noqa: F401

            nlp.add_pipe("newsflow_entity_repair", after="ner")
            seconds = time.perf_counter() - started
            meta: dict[str, Any] = nlp.meta
            _loaded[package] = LoadedModel(
                nlp=nlp,
                name=f"{meta.get('lang', 'xx')}_{meta.get('name', package)}",
                version=str(meta.get("version", "unknown")),
                load_seconds=seconds,
                kb_version=load_kb().version,
            )
            load_count += 1
            log.info("model_loaded", model=package, seconds=round(seconds, 3))
        return _loaded[package]

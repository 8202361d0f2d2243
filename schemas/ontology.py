"""PLOVER event ontology and its CAMEO mapping, loaded from data/plover.json (no I/O at import).

The data is derived from openeventdata/PLOVER's CAMEO2PLOVER-2021.txt (CC BY-SA 4.0);
see schemas/data/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PLOVER_TYPES: tuple[str, ...] = (
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
)

DATA_PATH = Path(__file__).parent / "data" / "plover.json"


@dataclass(frozen=True, slots=True)
class PloverType:
    """One PLOVER event type: our definition, examples, and the CAMEO roots filed under it."""

    name: str
    definition: str
    examples: tuple[str, ...]
    cameo_roots: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CameoEntry:
    """One CAMEO code as the CAMEO→PLOVER table maps it."""

    code: str
    type: str
    mode: str | None
    context: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class Ontology:
    """The PLOVER types and the CAMEO code table, as loaded from plover.json."""

    version: str
    source: str
    license: str
    types: dict[str, PloverType]
    cameo: dict[str, CameoEntry]

    def for_cameo(self, code: str) -> CameoEntry:
        """The entry for a CAMEO code, else for its longest known prefix ("0571" → "057")."""
        key = code.strip()
        for end in range(len(key), 0, -1):
            entry = self.cameo.get(key[:end])
            if entry is not None:
                return entry
        raise KeyError(f"no PLOVER mapping for CAMEO code {code!r}")

    def codes_for(self, plover_type: str) -> tuple[str, ...]:
        """All CAMEO codes the table maps to one PLOVER type, sorted."""
        return tuple(sorted(c for c, e in self.cameo.items() if e.type == plover_type))


def _parse(raw: dict[str, Any]) -> Ontology:
    """Build an Ontology from the decoded JSON, checking types are the known sixteen."""
    types = {
        name: PloverType(
            name=name,
            definition=spec["definition"],
            examples=tuple(spec["examples"]),
            cameo_roots=tuple(spec["cameo_roots"]),
        )
        for name, spec in raw["types"].items()
    }
    if tuple(types) != PLOVER_TYPES:
        raise ValueError(f"plover.json types {tuple(types)} differ from {PLOVER_TYPES}")
    cameo = {
        code: CameoEntry(
            code=code,
            type=spec["type"],
            mode=spec["mode"],
            context=tuple(spec["context"]),
            label=spec["label"],
        )
        for code, spec in raw["cameo"].items()
    }
    unknown = sorted({e.type for e in cameo.values()} - set(PLOVER_TYPES))
    if unknown:
        raise ValueError(f"plover.json maps CAMEO codes to unknown types {unknown}")
    return Ontology(
        version=raw["version"],
        source=raw["source"],
        license=raw["license"],
        types=types,
        cameo=cameo,
    )


@lru_cache(maxsize=1)
def load_ontology() -> Ontology:
    """Read and cache schemas/data/plover.json."""
    return _parse(json.loads(DATA_PATH.read_text(encoding="utf-8")))

"""Entities of the main story: spaCy's spans grouped by name, with stable ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict

from spacy.tokens import Doc

from schemas.record import Entity, Span

KEPT_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})


def normalized_name(name: str) -> str:
    """Case-, accent-, hyphen- and space-insensitive key of a name."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def stable_id(entity_type: str, name: str) -> str:
    """An id derived from type and normalised name: the same in every article."""
    key = f"{entity_type}|{normalized_name(name)}"
    return f"nf:{entity_type.lower()}:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def entities_from_doc(doc: Doc) -> list[Entity]:
    """Group the model's spans by (type, normalised name) into entities."""
    groups: dict[tuple[str, str], list[Span]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for ent in doc.ents:
        if ent.label_ not in KEPT_TYPES:
            continue
        key = (ent.label_, normalized_name(ent.text))
        if not key[1]:
            continue
        groups[key].append(Span(text=ent.text, start=ent.start_char, end=ent.end_char))
        names.setdefault(key, ent.text)
    if not groups:
        return []
    most = max(len(mentions) for mentions in groups.values())
    entities = [
        Entity(
            id=stable_id(label, names[(label, norm)]),
            name=names[(label, norm)],
            type=label,  # type: ignore[arg-type]
            mentions=mentions,
            salience=round(len(mentions) / most, 3),
        )
        for (label, norm), mentions in groups.items()
    ]
    return sorted(entities, key=lambda e: (-e.salience, e.mentions[0].start))

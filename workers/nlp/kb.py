"""The curated knowledge base (`data/kb.json`): countries, capitals, demonyms, people and
organisations, indexed by every normalised name and alias."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

KB_PATH = Path(__file__).parent / "data" / "kb.json"

EntryType = Literal["PERSON", "ORG", "GPE"]

# Words around an organisation's name that are not part of it.
_GENERIC_ORG = re.compile(
    r"^(?:state\s+|official\s+)?(?:news\s+agency|media)?\s*|"
    r"\s+(?:state\s+)?(?:news\s+agency|agency|newspaper|daily|news|state\s+media)$"
)


def normalize(name: str) -> str:
    """Case, accents, hyphens, dots and possessives folded: 'Kim Jong-un’s' → 'kim jong un'."""
    # The possessive goes before ASCII folding, which would drop the curly apostrophe.
    unpossessed = re.sub(r"['’]s\b", "", name)
    folded = unicodedata.normalize("NFKD", unpossessed).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


@dataclass(frozen=True)
class KbEntry:
    """One thing the knowledge base knows."""

    id: str
    name: str
    type: EntryType
    country: str | None
    wikidata: str | None
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    kind: str | None = None  # organisations: government, state_media, international, …
    capital_of: str | None = None  # capitals: the ISO3 they stand for as metonyms


@dataclass
class KnowledgeBase:
    """Indexes over the curated entries."""

    version: str
    by_name: dict[str, list[KbEntry]] = field(default_factory=dict)
    demonyms: dict[str, str] = field(default_factory=dict)  # normalised demonym → ISO3
    demonym_forms: list[str] = field(default_factory=list)  # demonyms as written
    countries: dict[str, KbEntry] = field(default_factory=dict)  # ISO3 → country entry
    surnames: dict[str, KbEntry | None] = field(default_factory=dict)  # None: ambiguous

    def lookup(self, name: str, entity_type: str | None = None) -> KbEntry | None:
        """The entry a name or alias denotes (preferring `entity_type`), or None.

        Generic words around an organisation's name are tried without ('RIA news agency',
        'state news agency KCNA').
        """
        key = normalize(name)
        candidates = self.by_name.get(key, [])
        if not candidates and entity_type in {"ORG", None}:
            bare = _GENERIC_ORG.sub("", key).strip()
            candidates = self.by_name.get(bare, []) if bare and bare != key else []
        if entity_type is not None:
            typed = [e for e in candidates if e.type == _KB_TYPE.get(entity_type, entity_type)]
            candidates = typed or candidates
        return candidates[0] if len(candidates) >= 1 else None

    def country_of(self, text: str) -> str | None:
        """ISO3 of a country name, alias, demonym or capital written in `text`, else None."""
        key = normalize(text)
        if key in self.demonyms:
            return self.demonyms[key]
        for entry in self.by_name.get(key, []):
            if entry.type == "GPE":
                return entry.capital_of or entry.country
        return None

    def by_surname(self, word: str) -> KbEntry | None:
        """The one known person with this surname ('Zelenskyy'), or None if none or several."""
        return self.surnames.get(normalize(word))

    def _add(self, entry: KbEntry) -> None:
        for name in {entry.name, *entry.aliases}:
            key = normalize(name)
            if key and entry not in self.by_name.setdefault(key, []):
                self.by_name[key].append(entry)


# spaCy labels → the KB type that can carry them.
_KB_TYPE = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "GPE",
    "LOC": "GPE",
    "NORP": "GPE",
    "FAC": "ORG",
}


def _entry_id(wikidata: str | None, kind: str, name: str) -> str:
    return f"wd:{wikidata}" if wikidata else f"kb:{kind}:{normalize(name).replace(' ', '-')}"


def _entry(raw: dict[str, Any], id_kind: str, entry_type: EntryType, **extra: Any) -> KbEntry:
    """A KbEntry from one record of kb.json (`id_kind` names its id when it has no QID)."""
    return KbEntry(
        id=_entry_id(raw.get("wikidata"), id_kind, raw["name"]),
        name=raw["name"],
        type=entry_type,
        country=extra.pop("country", raw.get("country")),
        wikidata=raw.get("wikidata"),
        aliases=tuple(raw.get("aliases", [])),
        **extra,
    )


def build(data: dict[str, Any]) -> KnowledgeBase:
    """Index a parsed kb.json."""
    kb = KnowledgeBase(version=str(data.get("version", "unknown")))
    for c in data.get("countries", []):
        country = _entry(c, "country", "GPE", country=c["iso3"])
        kb.countries[c["iso3"]] = country
        kb._add(country)
        for demonym in c.get("demonyms", []):
            kb.demonyms.setdefault(normalize(demonym), c["iso3"])
            kb.demonym_forms.append(demonym)
        capital = c.get("capital")
        if capital and capital.get("name"):
            kb._add(_entry(capital, "city", "GPE", country=c["iso3"], capital_of=c["iso3"]))
    for p in data.get("people", []):
        person = _entry(p, "person", "PERSON", roles=tuple(p.get("roles", [])))
        kb._add(person)
        for surname in {normalize(n).split()[-1] for n in (person.name, *person.aliases)}:
            # A surname two known people share links to neither.
            kb.surnames[surname] = person if kb.surnames.get(surname, person) is person else None
    for o in data.get("organizations", []):
        kb._add(_entry(o, "org", "ORG", kind=o.get("kind")))
    return kb


@lru_cache(maxsize=4)
def load_kb(path: Path = KB_PATH) -> KnowledgeBase:
    """The knowledge base at `path`, parsed once per process."""
    if not path.exists():
        return KnowledgeBase(version="missing")
    return build(json.loads(path.read_text(encoding="utf-8")))

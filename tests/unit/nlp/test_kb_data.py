"""Pure-data checks on the curated knowledge base workers/nlp/data/kb.json (no project imports)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

KB_PATH = Path(__file__).resolve().parents[3] / "workers" / "nlp" / "data" / "kb.json"

ISO3 = re.compile(r"^[A-Z]{3}$")
QID = re.compile(r"^Q[0-9]+$")
VERSION = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINDS = {
    "government",
    "military",
    "state_media",
    "news_agency",
    "party",
    "international",
    "armed_group",
    "company",
    "other",
}


def normalize(text: str) -> str:
    """Casefold, strip accents, hyphens and dots to spaces, collapse spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[-.\u2010-\u2015]", " ", folded)
    return " ".join(folded.split())


def linker_key(text: str) -> str:
    """The linker's stricter key (a copy of workers/nlp/kb.normalize, kept import-free):
    accents dropped, possessive 's removed, every non-alphanumeric run -> one space."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['\u2019]s\b", "", folded)
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


@pytest.fixture(scope="module")
def kb() -> dict:
    with KB_PATH.open(encoding="utf-8") as f:
        return json.load(f)


def entries(kb: dict) -> list[tuple[str, dict, list[str]]]:
    """(entry id, record, surface forms) for every entity; a capital is an entity of its own."""
    out = []
    for c in kb["countries"]:
        out.append((f"country:{c['iso3']}", c, [c["name"], *c["aliases"], *c["demonyms"]]))
        cap = c["capital"]
        out.append((f"capital:{c['iso3']}", cap, [cap["name"], *cap["aliases"]]))
    for p in kb["people"]:
        out.append((f"person:{p['name']}", p, [p["name"], *p["aliases"]]))
    for o in kb["organizations"]:
        out.append((f"org:{o['name']}", o, [o["name"], *o["aliases"]]))
    return out


def same_thing(a: str, b: str) -> bool:
    """A city-state and its capital share a name (Singapore, Monaco, Vatican City)."""
    kinds = {a.split(":", 1)[0], b.split(":", 1)[0]}
    return kinds == {"country", "capital"} and a.split(":", 1)[1] == b.split(":", 1)[1]


def collisions(kb: dict, key_fn) -> list[str]:
    owners: dict[str, set[str]] = defaultdict(set)
    forms: dict[str, set[str]] = defaultdict(set)
    for entry_id, _, names in entries(kb):
        for name in names:
            key = key_fn(name)
            owners[key].add(entry_id)
            forms[key].add(name)
    bad = []
    for key, ids in sorted(owners.items()):
        ids_sorted = sorted(ids)
        if len(ids_sorted) < 2:
            continue
        if len(ids_sorted) == 2 and same_thing(ids_sorted[0], ids_sorted[1]):
            continue
        bad.append(f"{key!r}: {sorted(forms[key])} in {ids_sorted}")
    return bad


def test_loads_with_header(kb):
    assert VERSION.match(kb["version"]), kb["version"]
    assert DATE.match(kb["as_of"]), kb["as_of"]
    assert kb["note"]
    for section in ("countries", "people", "organizations"):
        assert isinstance(kb[section], list)


def test_minimum_coverage(kb):
    assert len(kb["countries"]) >= 190
    assert len(kb["people"]) >= 60
    assert len(kb["organizations"]) >= 100


def test_iso3_valid_and_unique(kb):
    codes = [c["iso3"] for c in kb["countries"]]
    assert all(ISO3.match(code) for code in codes), [c for c in codes if not ISO3.match(c)]
    assert len(codes) == len(set(codes))


def test_record_shapes(kb):
    for c in kb["countries"]:
        assert c["name"] and isinstance(c["aliases"], list) and isinstance(c["demonyms"], list)
        assert c["capital"]["name"] and isinstance(c["capital"]["aliases"], list), c["iso3"]
    for p in kb["people"]:
        assert p["name"] and isinstance(p["aliases"], list)
        assert p["roles"] and all(isinstance(r, str) and r for r in p["roles"]), p["name"]
    for o in kb["organizations"]:
        assert o["name"] and isinstance(o["aliases"], list)
        assert o["kind"] in KINDS, (o["name"], o["kind"])


def test_country_references_resolve(kb):
    codes = {c["iso3"] for c in kb["countries"]}
    dangling = [
        (rec["name"], rec["country"])
        for rec in [*kb["people"], *kb["organizations"]]
        if rec["country"] is not None and rec["country"] not in codes
    ]
    assert not dangling


def test_wikidata_format_and_unique(kb):
    seen: dict[str, list[str]] = defaultdict(list)
    for entry_id, rec, _ in entries(kb):
        qid = rec["wikidata"]
        assert qid is None or QID.match(qid), (entry_id, qid)
        if qid:
            seen[qid].append(entry_id)
    dupes = {qid: ids for qid, ids in seen.items() if len(ids) > 1}
    assert not dupes


def test_no_empty_or_blank_names(kb):
    for entry_id, _, names in entries(kb):
        for name in names:
            assert name == name.strip() and normalize(name), (entry_id, name)
            assert linker_key(name), (entry_id, name)


def test_names_unique_after_normalisation(kb):
    bad = collisions(kb, normalize)
    assert not bad, "collisions:\n" + "\n".join(bad)


def test_names_unique_under_linker_key(kb):
    bad = collisions(kb, linker_key)
    assert not bad, "collisions:\n" + "\n".join(bad)


def test_case_sensitive_list_refers_to_known_forms(kb):
    forms = {name for _, _, names in entries(kb) for name in names}
    assert not [f for f in kb.get("case_sensitive", []) if f not in forms]


def test_bare_is_is_not_an_alias(kb):
    assert not [e for e, _, names in entries(kb) if any(normalize(n) == "is" for n in names)]


# --- spot facts ---------------------------------------------------------------------------


def _country(kb: dict, iso3: str) -> dict:
    return next(c for c in kb["countries"] if c["iso3"] == iso3)


def _person(kb: dict, name: str) -> dict:
    return next(p for p in kb["people"] if p["name"] == name)


def test_north_korea_capital_is_pyongyang(kb):
    prk = _country(kb, "PRK")
    assert prk["name"] == "North Korea"
    assert prk["capital"]["name"] == "Pyongyang"
    assert "DPRK" in prk["aliases"]


def test_russian_demonym_belongs_to_russia(kb):
    owners = [c["iso3"] for c in kb["countries"] if "Russian" in c["demonyms"]]
    assert owners == ["RUS"]


def test_kcna_is_north_korean(kb):
    orgs = [o for o in kb["organizations"] if "KCNA" in o["aliases"]]
    assert len(orgs) == 1
    assert orgs[0]["country"] == "PRK"


def test_kim_jong_un_alias(kb):
    owners = [p for p in kb["people"] if "Kim Jong-un" in p["aliases"]]
    assert len(owners) == 1
    assert owners[0]["name"] == "Kim Jong Un"
    assert owners[0]["country"] == "PRK"
    assert owners[0]["wikidata"] == "Q56226"


def test_kim_family_are_separate_people(kb):
    kju = _person(kb, "Kim Jong Un")
    kyj = _person(kb, "Kim Yo-jong")
    kis = _person(kb, "Kim Il-sung")
    assert kju is not kyj and kju is not kis and kyj is not kis
    kju_keys = {normalize(n) for n in [kju["name"], *kju["aliases"]]}
    for other in (kyj, kis):
        assert other["country"] == "PRK"
        assert not kju_keys & {normalize(n) for n in [other["name"], *other["aliases"]]}


def test_un_security_council_is_international(kb):
    unsc = [o for o in kb["organizations"] if "UN Security Council" in o["aliases"]]
    assert len(unsc) == 1
    assert unsc[0]["country"] is None
    assert unsc[0]["kind"] == "international"


def test_selected_aliases(kb):
    assert {"U.S.", "US", "USA", "United States of America", "America"} <= set(
        _country(kb, "USA")["aliases"]
    )
    assert {"UK", "U.K.", "Britain", "Great Britain"} <= set(_country(kb, "GBR")["aliases"])
    assert "Burma" in _country(kb, "MMR")["aliases"]
    assert "Kiev" in _country(kb, "UKR")["capital"]["aliases"]
    assert "Ivory Coast" in _country(kb, "CIV")["aliases"]
    assert "Czechia" in _country(kb, "CZE")["aliases"]
    assert "Türkiye" in _country(kb, "TUR")["aliases"]
    assert _country(kb, "XKX")["name"] == "Kosovo"

"""PLOVER ontology: plover.json matches PLOVER's CAMEO→PLOVER table and loads cleanly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from schemas.ontology import DATA_PATH, PLOVER_TYPES, CameoEntry, load_ontology

SOURCE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "benchmarks"
    / "ontology"
    / "CAMEO2PLOVER-2021.txt"
)
CODE_LINE = re.compile(r"^(\d{2,4}):([^#]*)(?:#(.*))?$")


def source_lines() -> list[tuple[int, str, str, str | None, tuple[str, ...]]]:
    """(line number, code, type, mode, context) for every code line of the table, in order."""
    if not SOURCE.is_file():
        pytest.skip(f"source table not available: {SOURCE}")
    rows = []
    for number, raw in enumerate(SOURCE.read_text(encoding="utf-8").splitlines(), 1):
        match = CODE_LINE.match(raw.strip())
        if not match:
            continue
        code, body = match.group(1), match.group(2)
        fields = [f.strip() for f in body.split(",")]
        fields += [""] * (3 - len(fields))  # a section header has the type only
        mode = fields[1] or None
        context = tuple(c.strip() for c in fields[2].split(";") if c.strip())
        rows.append((number, code, fields[0], mode, context))
    return rows


@pytest.fixture(scope="module")
def onto():
    return load_ontology()


def test_sixteen_types_in_order_with_definitions_and_examples(onto):
    assert len(PLOVER_TYPES) == 16
    assert tuple(onto.types) == PLOVER_TYPES
    for name, spec in onto.types.items():
        assert spec.name == name
        assert spec.definition.strip() and "\n" not in spec.definition, name
        assert len(spec.examples) >= 2, name
        assert all(e.strip() for e in spec.examples), name
        assert spec.cameo_roots, name


def test_header_records_source_and_license():
    raw = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert raw["version"] == "plover-2021-09-17/newsflow-1"
    assert "openeventdata/PLOVER" in raw["source"]
    assert "17-September-2021" in raw["source"]
    assert raw["license"] == "CC BY-SA 4.0"


def test_every_source_code_line_is_present_as_the_table_has_it(onto):
    lines = source_lines()
    assert len(lines) > 250, "source table parsed to too few lines"
    first: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    for number, code, kind, mode, context in lines:
        assert code in onto.cameo, f"line {number}: {code} missing"
        first.setdefault(code, (kind, mode, context))
        entry = onto.cameo[code]
        if len(code) == 2:
            # section header: "08" is filed under both CONCEDE and RETREAT; first one wins
            assert code in onto.types[kind].cameo_roots, f"line {number}: {code} not a {kind} root"
        assert (entry.type, entry.mode, entry.context) == first[code], f"line {number}: {code}"
    assert set(onto.cameo) == {code for _, code, *_ in lines}, "codes not in the source table"


def test_cameo_roots_are_the_table_headers(onto):
    headers: dict[str, set[str]] = {t: set() for t in PLOVER_TYPES}
    for _, code, kind, _, _ in source_lines():
        if len(code) == 2:
            headers[kind].add(code)
    assert {t: set(spec.cameo_roots) for t, spec in onto.types.items()} == headers


def test_repeated_codes_are_only_the_known_ones():
    seen: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = {}
    for _, code, kind, mode, context in source_lines():
        seen.setdefault(code, []).append((kind, mode, context))
    repeated = {code: rows for code, rows in seen.items() if len(rows) > 1}
    assert sorted(repeated) == ["08", "175"]
    assert [row[0] for row in repeated["08"]] == ["CONCEDE", "RETREAT"]
    assert len(set(repeated["175"])) == 1  # same mapping, two labels


@pytest.mark.parametrize(
    ("code", "kind", "mode"),
    [
        ("030", "AGREE", None),
        ("051", "SUPPORT", None),
        ("057", "SUPPORT", None),
        ("042", "CONSULT", "visit"),
        ("043", "CONSULT", "visit"),
        ("072", "AID", None),
        ("111", "ACCUSE", "disapprove"),
        ("112", "ACCUSE", "disapprove"),
        ("163", "COERCE", "restrict"),
        ("08", "CONCEDE", None),
        ("0813", "RETREAT", None),
        ("090", "ACCUSE", "investigate"),
        ("1712", "ASSAULT", "seize"),
        ("175", "ASSAULT", "pro_autocracy"),
        ("191", "COERCE", "restrict"),
        ("201", "ASSAULT", "cleansing"),
    ],
)
def test_notable_choices(onto, code, kind, mode):
    entry = onto.cameo[code]
    assert (entry.type, entry.mode) == (kind, mode)


def test_labels_and_empty_fields(onto):
    assert onto.cameo["030"] == CameoEntry(
        "030", "AGREE", None, ("diplomatic",), "Express intent to cooperate"
    )
    assert onto.cameo["042"].context == ()
    assert onto.cameo["091"].context == ("crime", "corruption")
    assert onto.cameo["0813"].label == "Ease curfew"  # editorial note dropped
    assert all(e.label for e in onto.cameo.values())
    assert all(e.mode is None or (e.mode and e.mode == e.mode.strip()) for e in onto.cameo.values())


def test_for_cameo_falls_back_to_longest_prefix(onto):
    assert onto.for_cameo("057").code == "057"
    assert onto.for_cameo("0571").code == "057"
    assert onto.for_cameo(" 0312 ").code == "0312"
    assert onto.for_cameo("0899").code == "08"
    with pytest.raises(KeyError):
        onto.for_cameo("01")  # CAMEO 01/02 are not in the table
    with pytest.raises(KeyError):
        onto.for_cameo("")


def test_every_mapped_type_is_plover(onto):
    assert {e.type for e in onto.cameo.values()} <= set(PLOVER_TYPES)
    assert {e.type for e in onto.cameo.values()} == set(PLOVER_TYPES)
    assert all(code == e.code for code, e in onto.cameo.items())


def test_load_is_cached(onto):
    assert load_ontology() is onto


def test_json_is_package_data():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/*.json"' in text
    assert DATA_PATH.parent.name == "data" and DATA_PATH.is_file()

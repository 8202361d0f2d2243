"""The event set in tests/fixtures/events/ and its scorer, ops/eval_events.py.

Pure matching and scoring rules on tiny hand-made examples; the fixtures' well-formedness;
and the whole set through `analyze`, which must reach MIN_PRECISION and MIN_F1 (skipped while
`workers.nlp.analyze` is not importable). `pytest -s` prints the scorer's tables.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "events"
# ops/ scripts import their siblings, as they do when run as `python ops/eval_events.py`.
sys.path.insert(0, str(ROOT / "ops"))
_spec = importlib.util.spec_from_file_location("eval_events", ROOT / "ops" / "eval_events.py")
assert _spec is not None and _spec.loader is not None
E = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("eval_events", E)
_spec.loader.exec_module(E)

# Totals over all fixtures must reach these (raise them to the measured values as the event
# stage improves).
MIN_PRECISION = 0.95  # measured 0.957 (precision first)
MIN_F1 = 0.82  # measured 0.836; the issue asks 0.8
# The held-out articles were written after the rules were frozen and are never tuned against.
HELDOUT = FIXTURES / "heldout"
HELDOUT_MIN_PRECISION = 0.95  # measured 1.000
HELDOUT_MIN_F1 = 0.75  # measured 0.776

OWN_FILES = sorted(FIXTURES.glob("[0-9][0-9]_*.json"))
HELDOUT_FILES = sorted(HELDOUT.glob("[0-9][0-9]_*.json"))
EVENT_KEYS = {"type", "source", "target", "hint", "alleged", "negated"}
OPTIONAL_KEYS = {"future", "hypothetical", "date", "precision"}
_WORD = re.compile(r"\w+")


def G(t="AID", s="PRK", o="RUS", **kw):
    return E.GoldEvent(t, s, o, **kw)


def P(t="AID", s="PRK", o="RUS", **kw):
    return E.PredEvent(t, s, o, **kw)


# ----------------------------------------------------------------------------- matching


def test_same_type_source_and_target_match():
    m = E.match_events([G()], [P()])
    assert m.pairs == ((0, 0),) and m.missed == () and m.spurious == ()


def test_direction_type_and_country_must_all_agree():
    gold = [G("AID", "PRK", "RUS")]
    for pred in (P("AID", "RUS", "PRK"), P("SUPPORT", "PRK", "RUS"), P("AID", "PRK", None)):
        m = E.match_events(gold, [pred])
        assert m.pairs == () and m.missed == (0,) and m.spurious == (0,)


def test_none_country_matches_only_none():
    assert E.match_events([G("ACCUSE", None, "RUS")], [P("ACCUSE", None, "RUS")]).pairs
    assert not E.match_events([G("ACCUSE", None, "RUS")], [P("ACCUSE", "KOR", "RUS")]).pairs


def test_matching_is_one_to_one():
    m = E.match_events([G()], [P(), P()])
    assert len(m.pairs) == 1 and m.spurious == (1,)
    m = E.match_events([G(), G()], [P()])
    assert len(m.pairs) == 1 and m.missed == (1,)


def test_greedy_order_is_by_confidence():
    m = E.match_events([G()], [P(confidence=0.2), P(confidence=0.9)])
    assert m.pairs == ((0, 1),) and m.spurious == (0,)


def test_negated_prediction_counts_only_against_negated_gold():
    # an unmarked gold event taken by a negated prediction is a miss, and the prediction an FP
    m = E.match_events([G()], [P(negated=True)])
    assert m.pairs == () and m.missed == (0,) and m.spurious == (0,)
    assert E.match_events([G(negated=True)], [P(negated=True)]).pairs == ((0, 0),)
    m = E.match_events([G(negated=True)], [P()])
    assert m.pairs == () and m.missed == (0,)


def test_negated_and_plain_gold_of_one_triple_are_both_matchable():
    gold = [G(negated=True), G()]
    m = E.match_events(gold, [P(), P(negated=True)])
    assert sorted(m.pairs) == [(0, 1), (1, 0)]


# ----------------------------------------------------------------------------- collapsing


def test_collapse_merges_duplicates_and_keeps_negation_apart():
    preds = [
        P(alleged=True, dates=("2024-06",), evidence="first", confidence=0.3),
        P("CONSULT"),
        P(alleged=False, dates=("2024-06-19", "2024-06"), confidence=0.8),
        P(negated=True),
    ]
    merged = E.collapse(preds)
    assert [(p.type, p.negated, p.count) for p in merged] == [
        ("AID", False, 2),
        ("CONSULT", False, 1),
        ("AID", True, 1),
    ]
    aid = merged[0]
    assert aid.alleged is False  # alleged only if every member is
    assert aid.dates == ("2024-06", "2024-06-19")
    assert aid.evidence == "first" and aid.confidence == 0.8


def test_collapse_flag_is_kept_when_all_members_have_it():
    merged = E.collapse([P(future=True), P(future=True, hypothetical=True)])
    assert merged[0].future is True and merged[0].hypothetical is False


def test_score_file_dedupes_unless_asked_not_to():
    f = E.Fixture("x", "ours", "Text.", None, [G()])
    assert E.micro(E.score_file(f, [P(), P()]).counts) == E.Counts(1, 0, 0)
    assert E.micro(E.score_file(f, [P(), P()], dedupe=False).counts) == E.Counts(1, 1, 0)


# ----------------------------------------------------------------------------- arithmetic


def test_per_type_counts_and_scores():
    gold = [G("AID"), G("ACCUSE", "KOR", "PRK"), G("ACCUSE", "USA", "PRK"), G("CONSULT")]
    preds = [P("AID"), P("ACCUSE", "KOR", "PRK"), P("ACCUSE", "UKR", "PRK"), P("ASSAULT")]
    m = E.match_events(gold, preds)
    counts = E.count_by_type(gold, preds, m)
    assert counts["AID"] == E.Counts(1, 0, 0)
    assert counts["ACCUSE"] == E.Counts(1, 1, 1)
    assert counts["CONSULT"] == E.Counts(0, 0, 1)
    assert counts["ASSAULT"] == E.Counts(0, 1, 0)
    assert E.prf(counts["ACCUSE"]) == E.Scores(0.5, 0.5, 0.5)
    total = E.micro(counts)
    assert total == E.Counts(2, 2, 2)
    s = E.prf(total)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(0.5)


def test_prf_values_and_zero_denominators():
    s = E.prf(E.Counts(tp=3, fp=1, fn=2))
    assert s.precision == pytest.approx(0.75)
    assert s.recall == pytest.approx(0.6)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert E.prf(E.Counts()) == E.Scores(0.0, 0.0, 0.0)
    assert E.prf(E.Counts(fp=2)) == E.Scores(0.0, 0.0, 0.0)


def test_merge_counts_over_files():
    a = {"AID": E.Counts(1, 0, 1)}
    b = {"AID": E.Counts(0, 2, 0), "REQUEST": E.Counts(1, 0, 0)}
    merged = E.merge_counts([a, b])
    assert merged["AID"] == E.Counts(1, 2, 1) and merged["REQUEST"] == E.Counts(1, 0, 0)


def test_date_and_flag_figures_among_matched():
    gold = [
        G("AID", date="2025-03-06", precision="day", alleged=True),
        G("CONSULT", date="2025-03", precision="month", future=True),
        G("SUPPORT"),
        G("ACCUSE", date="2025-03-01", precision="day"),  # missed: not counted
    ]
    preds = [
        P("AID", dates=("2025-03-05", "2025-03-06"), alleged=True),
        P("CONSULT", dates=("2025-03-19",)),
        P("SUPPORT", future=True),
    ]
    m = E.match_events(gold, preds)
    assert E.date_hits(gold, preds, m) == (1, 2)
    flags = E.flag_hits(gold, preds, m)
    assert flags["alleged"] == (3, 3, 1, 1)
    assert flags["future"] == (1, 3, 1, 0)
    assert flags["hypothetical"] == (3, 3, 0, 0)


def test_summarise_splits_nothing_and_sums_everything():
    f1 = E.Fixture("a", "seed", "x", None, [G(), G("CONSULT")])
    f2 = E.Fixture("b", "ours", "y", None, [G("PROTEST", "POL", "UKR")])
    results = [E.score_file(f1, [P()]), E.score_file(f2, [P("PROTEST", "UKR", "POL")])]
    sets = E.by_set(results)
    assert E.micro(sets["seeds"].per_type) == E.Counts(1, 0, 1)
    assert E.micro(sets["ours"].per_type) == E.Counts(0, 1, 1)
    assert E.micro(sets["all"].per_type) == E.Counts(1, 1, 2)
    assert sets["all"].gold == 3 and sets["all"].predicted == 2


# ----------------------------------------------------------------------------- error report


def test_explanations():
    reversed_ = E.explain_miss(G(), [P("AID", "RUS", "PRK")])
    assert reversed_ == "predicted with source and target reversed"
    assert E.explain_miss(G(), [P("SUPPORT")]) == "predicted as SUPPORT"
    assert E.explain_miss(G(), [P(negated=True)]) == "predicted negated"
    assert E.explain_miss(G(), [P("AID", "PRK", "UKR")]) == "predicted PRK -> UKR"
    assert E.explain_miss(G(), []) == ""
    assert E.explain_spurious(P(negated=True), [G()]) == "gold is not negated"
    assert E.explain_spurious(P("SUPPORT"), [G()]) == "gold type AID"


def test_sentences_keep_abbreviations_and_closing_quotes():
    text = 'Seoul and the U.S. say it breaks U.N. sanctions. Kim said "no." Mr. Lee left.\n\nNext.'
    assert E.sentences(text) == [
        "Seoul and the U.S. say it breaks U.N. sanctions.",
        'Kim said "no."',
        "Mr. Lee left.",
        "Next.",
    ]


def test_best_sentence_finds_the_hint():
    text = "Background first. Seoul accused Pyongyang of sending troops.\n\nStatistics last."
    found = E.best_sentence(text, "accused Pyongyang")
    assert found == "Seoul accused Pyongyang of sending troops."
    assert E.best_sentence(text, "nothing here") == ""


def test_error_lines_show_evidence():
    f = E.Fixture(
        "n",
        "ours",
        "Kim met Putin. Seoul condemned it.",
        None,
        [G("ACCUSE", "KOR", "PRK", hint="Seoul condemned")],
    )
    r = E.score_file(f, [P("CONSULT", evidence="Kim met Putin.")])
    fps, fns = E.error_lines([r], 5)
    assert "CONSULT PRK -> RUS" in fps[0] and "Kim met Putin." in fps[0]
    assert "ACCUSE KOR -> PRK" in fns[0] and "Seoul condemned it." in fns[0]


def test_pred_from_event_reads_the_record_model():
    from schemas.record import Event, EventActor, EventDate, Modality, Span

    span = Span(text="sent troops", start=0, end=11)
    event = Event(
        id="e1",
        type="AID",
        trigger=span,
        source=EventActor(entity_id="a", name="North Korea", country="PRK"),
        target=None,
        date=EventDate(value="2025-06-05", precision="day"),
        modality=Modality(alleged=True),
        evidence=span,
        confidence=0.7,
    )
    p = E.pred_from_event(event)
    assert p == E.PredEvent(
        "AID",
        "PRK",
        None,
        alleged=True,
        dates=("2025-06-05",),
        evidence="sent troops",
        confidence=0.7,
    )


# ----------------------------------------------------------------------------- fixtures


def _check_event(ev: dict[str, Any], where: str) -> None:
    keys = set(ev)
    assert not EVENT_KEYS - keys, f"{where}: missing {EVENT_KEYS - keys}"
    unknown = keys - EVENT_KEYS - OPTIONAL_KEYS
    assert not unknown, f"{where}: unknown keys {unknown}"
    assert ev["type"] in E.TYPES, f"{where}: type {ev['type']!r}"
    for side in ("source", "target"):
        value = ev[side]
        assert value is None or E.ISO3.match(value), f"{where}: {side} {value!r}"
    assert ev["source"] is not None or ev["target"] is not None, f"{where}: no actor at all"
    for flag in ("alleged", "negated", "future", "hypothetical"):
        assert isinstance(ev.get(flag, False), bool), f"{where}: {flag} not a boolean"
    assert isinstance(ev["hint"], str) and ev["hint"].strip(), f"{where}: empty hint"
    if "date" in ev or "precision" in ev:
        precision = ev.get("precision")
        assert precision in E.DATE_FORMATS, f"{where}: precision {precision!r}"
        assert E.DATE_FORMATS[precision].match(ev.get("date") or ""), f"{where}: date"


def _check_unique(events: list[dict[str, Any]], where: str) -> None:
    keys = Counter((e["type"], e["source"], e["target"], e["negated"]) for e in events)
    repeated = [k for k, n in keys.items() if n > 1]
    assert not repeated, f"{where}: one event per (type, source, target, negated): {repeated}"


@pytest.mark.parametrize("path", OWN_FILES + HELDOUT_FILES, ids=lambda p: p.stem)
def test_own_fixture_is_well_formed(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert set(raw) == {"text", "published_at", "events"}
    E.parse_date(raw["published_at"])
    text: str = raw["text"]
    n_words = len(_WORD.findall(text))
    assert 90 <= n_words <= 300, f"{n_words} words"
    words = {w.lower() for w in _WORD.findall(text)}
    assert raw["events"], "no gold events"
    for i, ev in enumerate(raw["events"]):
        where = f"{path.name} event {i}"
        _check_event(ev, where)
        missing = [w for w in _WORD.findall(ev["hint"]) if w.lower() not in words]
        assert not missing, f"{where}: hint words not in the text: {missing}"
    _check_unique(raw["events"], path.name)


def test_seed_annotations_are_well_formed():
    seeds = json.loads((FIXTURES / "seeds.json").read_text(encoding="utf-8"))
    assert len(seeds) == 5
    for stem, entry in seeds.items():
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}", stem), stem
        assert set(entry) == {"published_at", "events"}
        E.parse_date(entry["published_at"])
        for i, ev in enumerate(entry["events"]):
            _check_event(ev, f"seeds.json {stem} event {i}")
            # hints name a trigger; they are not copies of the seed's sentences
            assert len(_WORD.findall(ev["hint"])) <= 8, f"{stem} event {i}: hint too long"
        _check_unique(entry["events"], stem)
    if SEEDS.is_dir():
        on_disk = {p.stem for p in SEEDS.glob("*.txt")}
        assert set(seeds) == on_disk


def test_no_seed_sentence_is_copied_into_the_fixtures():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent")
    ours = "\n".join(p.read_text(encoding="utf-8") for p in FIXTURES.rglob("*") if p.is_file())
    for path in SEEDS.glob("*.txt"):
        for sentence in E.sentences(path.read_text(encoding="utf-8", errors="replace")):
            if len(sentence) >= 40:
                assert sentence not in ours, f"{path.name}: {sentence[:60]!r} copied"


def test_own_articles_cover_every_type_and_the_hard_cases():
    assert len(OWN_FILES) >= 12
    events = [e for p in OWN_FILES for e in json.loads(p.read_text(encoding="utf-8"))["events"]]
    per_type = Counter(e["type"] for e in events)
    assert {t: per_type[t] for t in E.TYPES if per_type[t] < 2} == {}
    for flag in ("negated", "alleged", "future", "hypothetical"):
        assert any(e.get(flag) for e in events), f"no {flag} event"
    assert any("date" in e and e["precision"] == "month" for e in events)
    assert any("date" in e and e["precision"] == "year" for e in events)


# ----------------------------------------------------------------------------- the whole set


def test_event_stage_reaches_the_thresholds():
    loaded = E.load_analyze(E.DEFAULT_MODEL)
    if isinstance(loaded, str):
        pytest.skip(f"event stage not ready: {loaded}")
    analyze, model = loaded
    fixtures, notes = E.load_all(FIXTURES, SEEDS)
    results = E.evaluate(fixtures, analyze, model)
    sets = E.by_set(results)
    for note in notes:
        print(f"note: {note}")
    E.print_report(sets)
    crashed = [r.fixture.name for r in results if r.error]
    assert not crashed, f"analyze raised on {crashed}"
    overall = sets["all"].overall
    assert overall.precision >= MIN_PRECISION
    assert overall.f1 >= MIN_F1


def test_event_stage_generalises_to_the_held_out_articles():
    loaded = E.load_analyze(E.DEFAULT_MODEL)
    if isinstance(loaded, str):
        pytest.skip(f"event stage not ready: {loaded}")
    analyze, model = loaded
    fixtures, _ = E.load_all(HELDOUT, SEEDS)
    assert len(fixtures) >= 4
    results = E.evaluate(fixtures, analyze, model)
    overall = E.by_set(results)["all"].overall
    E.print_report(E.by_set(results))
    assert overall.precision >= HELDOUT_MIN_PRECISION
    assert overall.f1 >= HELDOUT_MIN_F1

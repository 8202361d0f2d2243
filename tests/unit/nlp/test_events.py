"""The event stage on sentences we wrote: frames, actors, modality, dates, merge."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.article import Source, SourceKind
from schemas.record import PipelineInfo, Record
from workers import state
from workers.events_merge import merge
from workers.nlp import analyze
from workers.nlp.event_dates import resolve_date

PUBLISHED = date(2025, 3, 7)  # a Friday


@pytest.fixture(scope="module")
def model():
    return state.model()


def events_of(model, text, published=PUBLISHED):
    return analyze(model, text, published)[1]


def triple(e):
    return (e.type, e.source.country if e.source else None, e.target.country if e.target else None)


@pytest.mark.parametrize(
    ("phrase", "value", "precision"),
    [
        ("on Friday", "2025-03-07", "day"),
        ("on Thursday", "2025-03-06", "day"),
        ("yesterday", "2025-03-06", "day"),
        ("last month", "2025-02", "month"),
        ("in June", "2024-06", "month"),
        ("last year", "2024", "year"),
        ("on August 15th, 2024", "2024-08-15", "day"),
        ("in 2023", "2023", "year"),
    ],
)
def test_dates_resolve_against_publication(phrase, value, precision):
    when = resolve_date(phrase, PUBLISHED)
    assert (when.value, when.precision, when.text) == (value, precision, phrase)


def test_no_anchor_no_date():
    assert resolve_date("on Friday", None).value is None
    assert resolve_date("on August 15th, 2024", None).value == "2024-08-15"


def test_a_meeting_is_consult_with_place_and_date(model):
    (event,) = events_of(
        model,
        "Russian President Vladimir Putin met Japanese Prime Minister "
        "Shigeru Ishiba in Vladivostok on Thursday.",
    )
    assert triple(event) == ("CONSULT", "RUS", "JPN")
    assert event.location and event.location.name == "Vladivostok"
    assert (event.date.value, event.date.precision) == ("2025-03-06", "day")
    assert event.evidence.text.startswith("Russian President") and event.trigger.text == "met"


def test_signing_together_is_one_two_sided_support(model):
    events = events_of(model, "Kim Jong Un and Vladimir Putin signed a mutual defence treaty.")
    assert [triple(e) for e in events] == [("SUPPORT", "PRK", "RUS")]
    assert events[0].cameo == "057"


def test_an_accusation_carries_an_alleged_event(model):
    events = events_of(model, "South Korea accused North Korea of sending missiles to Russia.")
    found = {triple(e): e for e in events}
    assert ("ACCUSE", "KOR", "PRK") in found
    assert ("AID", "PRK", "RUS") in found
    assert found[("AID", "PRK", "RUS")].modality.alleged
    assert not found[("ACCUSE", "KOR", "PRK")].modality.alleged


def test_intent_to_cooperate_is_agree_and_a_pledge_of_support_is_support(model):
    agree = events_of(model, "Japan pledged to deepen cooperation with the Philippines.")
    assert [triple(e) for e in agree] == [("AGREE", "JPN", "PHL")]
    support = events_of(model, "Belarus vowed to unconditionally support Russia.")
    assert [triple(e) for e in support] == [("SUPPORT", "BLR", "RUS")]


def test_modality(model):
    (neg,) = events_of(model, "Iran did not condemn Russia.")
    assert neg.modality.negated and triple(neg) == ("ACCUSE", "IRN", "RUS")
    (future,) = events_of(model, "Turkey will send drones to Ukraine.")
    assert future.modality.future and triple(future) == ("AID", "TUR", "UKR")
    for text in (
        "The Press Trust of India reported that India condemned Pakistan.",
        "India condemned Pakistan on Friday, the foreign ministry said.",
    ):
        (said,) = events_of(model, text)
        assert said.modality.reported_by, text


def test_aid_recipients_in_every_construction(model):
    for text in (
        "Germany gave Ukraine six tanks.",
        "Germany provided Ukraine with tanks.",
        "Germany delivered tanks to Ukraine.",
    ):
        assert [triple(e) for e in events_of(model, text)] == [("AID", "DEU", "UKR")], text


def test_no_event_without_actors_or_in_background(model):
    text = "Inflation rose to 4% in January. The weather was cold across the region."
    assert events_of(model, text) == []


def test_events_merge_across_articles_by_fingerprint(model):
    text = "Vladimir Putin met Xi Jinping in Beijing on Thursday."
    records = [
        Record(
            article_id=c * 64,
            source=Source(kind=SourceKind.FILE),
            text=text,
            events=events_of(model, text),
            pipeline=PipelineInfo(version="t"),
        )
        for c in "aab"
    ]
    (merged,) = merge(records)
    assert len(merged.articles) == 2  # the repeated record counts once
    assert merged.first.type == "CONSULT"

"""Our labelled fixture set (tests/fixtures/clean, written by us): the cleaner's scorer.

Every main-story paragraph must be kept whole and every labelled noise item removed; the
metadata (title, published_at, outlet, dateline, byline, captions) must match the labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from workers.clean import clean
from workers.clean.normalize import normalize_line

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clean"
CASES = sorted(p.with_suffix("").with_suffix("") for p in FIXTURES.glob("*.expected.json"))


@dataclass
class Score:
    """Counts of one fixture's checks."""

    paragraphs: int = 0
    kept: int = 0
    noise: int = 0
    removed: int = 0


def _run(case: Path) -> tuple[dict, object]:
    expected = json.loads(case.with_suffix(".expected.json").read_text(encoding="utf-8"))
    reference = datetime.fromisoformat(expected["received_at"].replace("Z", "+00:00"))
    return expected, clean(case.with_suffix(".txt").read_bytes(), reference_time=reference)


def score(case: Path) -> tuple[Score, list[str]]:
    """Paragraph retention and noise removal for one fixture, with what went wrong."""
    expected, result = _run(case)
    kept = {normalize_line(p) for p in result.text.split("\n\n")}
    s, problems = Score(), []
    for paragraph in expected["main_paragraphs"]:
        s.paragraphs += 1
        if normalize_line(paragraph) in kept:
            s.kept += 1
        else:
            problems.append(f"lost paragraph: {paragraph[:70]!r}")
    story = "\n".join(kept)
    for item in expected["noise"]:
        s.noise += 1
        text = normalize_line(item["text"])
        leaked = (text in kept) if len(text) < 40 else (text in story)
        if leaked:
            problems.append(f"leaked {item['kind']}: {text[:70]!r}")
        else:
            s.removed += 1
    return s, problems


def test_the_fixture_set_is_present():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_main_story_whole_and_noise_gone(case):
    _, problems = score(case)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_metadata_matches_the_labels(case):
    expected, result = _run(case)
    got = {
        "title": result.title,
        "published_at": result.published_at.isoformat()[:10] if result.published_at else None,
        "published_at_origin": result.published_at_origin,
        "outlet": result.outlet,
        "dateline": result.dateline,
        "byline": result.byline,
    }
    want = {key: expected[key] for key in got}
    assert got == want
    assert [normalize_line(c) for c in result.captions] == [
        normalize_line(c) for c in expected["captions"]
    ]


def test_totals_are_perfect():
    """The issue's bar: 100% of main-story paragraphs kept, 100% of labelled noise removed."""
    total = Score()
    for case in CASES:
        s, _ = score(case)
        for field in ("paragraphs", "kept", "noise", "removed"):
            setattr(total, field, getattr(total, field) + getattr(s, field))
    print(
        f"\nfixtures: kept {total.kept}/{total.paragraphs} paragraphs, "
        f"removed {total.removed}/{total.noise} noise items"
    )
    assert (total.kept, total.removed) == (total.paragraphs, total.noise)

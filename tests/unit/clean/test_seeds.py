"""The five real seeds (read from ../shared/seeds, never copied): story whole, noise gone.

Expectations are written as short probes (names and noise markers), not seed sentences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.conftest import SEEDS
from workers.clean import clean

REFERENCE = datetime(2025, 6, 6, 12, 0, tzinfo=UTC)

# seed prefix → what a reader expects of the cleaned record
EXPECTED = {
    "000": {
        "paragraphs": 12,
        "present": ["reaffirmed a pledge", "Kim Il-sung", "Kim Yung-ho", "told a briefing."],
        "absent": ["Photograph", "KCNA/EPA", "– Reuters", "evacuees"],
        "captions": 1,
        "title": None,
    },
    "001": {
        "paragraphs": 11,
        "present": ["kindred", "Rodong Sinmun", "Taesong", "emphasise their importance."],
        "absent": [
            "mins read",
            "ALSO READ",
            "Previous Story",
            "Next Story",
            "Latest from",
            "Go to",
            "Don't Miss",
            "Palestinian",
            "Galwan",
            "money-laundering",
            "energy loan",
            "reports Asian Lite",
        ],
        "published_at": date(2024, 7, 28),
        "outlet": "Asian Lite News",
        "title": "Pyongyang says ties with China",
    },
    "002": {
        "paragraphs": 22,
        "present": ["unconditionally support", "Lee Seong-kweun", "Choe Ju Hyun", "DPRK-Russia"],
        "absent": [
            "logo",
            "Japan Times2",
            "Orange background",
            "AI Features",
            "Comments",
            "Related Articles",
            "Akazawa",
            "timean hour",
            "NHK",
            "DOWNLOAD",
            "app-store",
            "Klitschko",
        ],
        "published_at": date(2025, 6, 4),
        "outlet": "Japan Times",
        "title": "North Korea's Kim vows",
    },
    "003": {
        "paragraphs": 16,
        "present": ["Kim Yo-jong", "Choe Son-hui", "Blinken told reporters."],
        "absent": [
            "Photo: AP",
            "EPA-EFE",
            "volcano",
            "Jetstar",
            "Maccabi",
            "Pelosi",
            "Kamala Harris",
            "Liu Bingyong",
            "dairy",
        ],
        "unrelated": 4,
        "title": None,
    },
    "004": {
        "paragraphs": 15,
        "present": ["fresh heyday", "Primorsky", "six drones"],
        "absent": ["via Reuters", "shakes hands", "SEOUL (Reuters)"],
        "captions": 1,
        "dateline": "SEOUL (Reuters) —",
        "title": "North Korea’s Kim, Russia Talk up Military Ties",
    },
}


def _seed(prefix: str) -> bytes:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} is absent")
    return matches[0].read_bytes()


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_main_story_is_whole_and_noise_is_gone(prefix):
    want = EXPECTED[prefix]
    result = clean(_seed(prefix), reference_time=REFERENCE)
    paragraphs = result.text.split("\n\n")
    assert len(paragraphs) == want["paragraphs"]
    for probe in want["present"]:
        assert probe in result.text, f"main story lost {probe!r}"
    for probe in want["absent"]:
        assert probe not in result.text, f"noise {probe!r} left in the story"
    if "captions" in want:
        assert len(result.captions) == want["captions"]
    if "unrelated" in want:
        assert sum(s.kind == "unrelated_story" for s in result.removed) == want["unrelated"]
    if want.get("title"):
        assert result.title and result.title.startswith(want["title"])
    else:
        assert result.title is None
    for key in ("published_at", "outlet", "dateline"):
        if key in want:
            assert getattr(result, key) == want[key]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_every_cut_is_explained_with_offsets_into_the_decoded_text(prefix):
    raw = _seed(prefix)
    decoded = raw.decode("utf-8")
    result = clean(raw, reference_time=REFERENCE)
    assert result.removed
    for span in result.removed:
        assert span.kind
        assert decoded[span.start : span.end] == span.text
    # Cut spans and kept paragraphs never overlap.
    for paragraph in result.text.split("\n\n"):
        for span in result.removed:
            if len(span.text) > 20:
                assert span.text.strip() not in paragraph


def test_without_a_reference_time_a_relative_age_gives_no_date():
    result = clean(_seed("002"))
    assert result.published_at is None and result.outlet == "Japan Times"

"""Noise rules per class: several wordings each, and story sentences left alone."""

from __future__ import annotations

import pytest

from workers.clean import rules
from workers.clean.dates import find_date, is_date_line
from workers.clean.segment import name_keys
from workers.clean.text import _byline_names

CASES = {
    "CREDIT_LINE": [
        "Photo: AP",
        "Photograph: Lena Park/EPA",
        "Photo: EPA-EFE / Ana Ruiz / Pool",
        "AFP via Getty Images",
        "Xinhua via Reuters",
        "(Photo by Sam Lee/Getty Images)",
        "Image: Reuters",
        "PHOTO: Yonhap",
    ],
    "READING_TIME": [
        "3 mins read",
        "5 min read",
        "Reading time: 6 minutes",
        "Listen to this article · 4 min",
        "2 MIN READ",
    ],
    "NAVIGATION": [
        "logo",
        "Go toTop",
        "Back to top",
        "Previous Story",
        "Next article",
        "Share Tweet Email Print",
        "Home > World > Africa",
        "Skip to content",
    ],
    "PROMO": [
        "Advertisement",
        "DOWNLOAD THE APP",
        "Get the app for faster news",
        "app-storeplay-store",
        "Sign up for our morning briefing",
        "Explore what Ledger AI can do for you:",
        "Blue background",
        "Ready to stay ahead? Download our app today from your store.",
    ],
    "COMMENTS": [
        "Comments",
        "No comments yet...",
        "Comments (0)",
        "Be the first to comment.",
        "Log in to join the discussion",
        "12 comments",
    ],
    "INLINE_TEASER": [
        "ALSO READ: Ministers meet over grain corridor",
        "Read more: Port strike enters third week",
        "See also - Flood toll rises",
    ],
    "HARD_SECTION": [
        "Related Articles",
        "Related stories",
        "Latest from -World Desk",
        "Most read",
        "More from The Ledger",
        "You may also like",
        "Previous Story",
        "Next »",
        "Comments (3)",
    ],
    "SOFT_SECTION": [
        "Don't Miss",
        "DON'T MISS",
        "Read more:",
        "Must Read",
        "Editor's picks",
        "See also",
    ],
    "OUTLET_AGE": [
        "Japan Times2 days ago",
        "The Daily Ledger 3 hours ago",
        "Meridian Wire5 mins ago",
        "Coast Herald · an hour ago",
    ],
    "TEASER_AGE": ["time4 hours ago", "timean hour ago", "2 days ago"],
}

STORY = [
    "The minister said the talks would resume in Geneva on Monday.",
    "Ready to fight, the soldiers moved north before dawn.",
    "Comments by the envoy drew a sharp rebuke from Beijing.",
    "Share prices fell 3% after the announcement.",
    "Photographers were barred from the ceremony, officials said.",
    "He read the statement aloud to reporters outside the ministry.",
    "Next week, the delegation will travel to Nairobi.",
]


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, ts in CASES.items() for t in ts])
def test_each_noise_class_matches_its_wordings(name, text):
    assert getattr(rules, name).fullmatch(text), f"{name} missed {text!r}"


@pytest.mark.parametrize("text", STORY)
def test_story_sentences_match_no_noise_rule(text):
    hits = [name for name in CASES if getattr(rules, name).fullmatch(text)]
    assert hits == []


@pytest.mark.parametrize(
    ("text", "dateline"),
    [
        ("BERLIN (Reuters) — The chancellor said …", "BERLIN (Reuters) — "),
        ("NAIROBI, Kenya (AP) — Rescue teams …", "NAIROBI, Kenya (AP) — "),
        ("SEOUL, July 3 (Yonhap) -- South Korea's …", "SEOUL, July 3 (Yonhap) -- "),
        ("KYIV — Air raid sirens sounded …", "KYIV — "),
    ],
)
def test_datelines(text, dateline):
    match = rules.DATELINE.match(text)
    assert match and match["dateline"] == dateline


def test_no_dateline_in_an_ordinary_sentence():
    assert rules.DATELINE.match("The United Nations — and its agencies — said …") is None


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("… he told a briefing. – Reuters", "– Reuters"),
        ("… the ministry said. — AFP", "— AFP"),
        ("… officials said. (Reporting by Jo Kim; Editing by Al Ray)", None),
        ("… officials said (Reporting by Jo Kim)", None),
    ],
)
def test_sign_offs(text, tail):
    match = rules.SIGN_OFF.search(text)
    assert match
    assert match["credit"] == tail if tail else match["reporting"].startswith("(Reporting")


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("By Jane Doe and Omar Haddad, Reuters", "Jane Doe and Omar Haddad"),
        ("Jane Doe | Staff Writer", "Jane Doe"),
    ],
)
def test_bylines(line, names):
    match = rules.BYLINE.fullmatch(line)
    assert match and _byline_names(match) == names


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("July 28, 2024", "2024-07-28"),
        ("28 March 2025", "2025-03-28"),
        ("2025-03-03", "2025-03-03"),
        ("Updated: Mar. 3, 2025 10:42 GMT", "2025-03-03"),
        ("Friday, March 7, 2025", "2025-03-07"),
    ],
)
def test_header_date_lines(line, iso):
    assert is_date_line(line)
    assert find_date(line).isoformat() == iso


def test_a_story_sentence_with_a_date_is_not_a_date_line():
    assert not is_date_line("The two leaders met on July 28, 2024 in the capital and agreed.")


def test_name_keys_fold_demonyms_possessives_and_directions():
    assert {"russia", "north_korea", "kim"} <= name_keys("North Korea's Kim praised Russian troops")
    assert "north_korea" not in name_keys("Exports to North America rose")

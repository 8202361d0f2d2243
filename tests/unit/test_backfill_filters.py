"""Backfill filters: `--since` dates and the `--rate` token bucket (with an injected clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from producers.backfill import BackfillTally, older_than, parse_since
from producers.ratelimit import TokenBucket
from producers.sources import InputItem

SINCE = datetime(2024, 6, 1, tzinfo=UTC)
OLD_FILE = datetime(2020, 1, 1, tzinfo=UTC)
NEW_FILE = datetime(2025, 1, 1, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when the bucket sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rate: float, burst: float = 1.0) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock()
    return TokenBucket(rate, burst=burst, clock=clock, sleep=clock.sleep), clock


def test_the_bucket_paces_acquisitions_at_the_rate():
    limiter, clock = bucket(10)
    for _ in range(21):
        limiter.acquire()
    # The first token is there at once; the next 20 come one every 0.1 s.
    assert clock.now - 100.0 == pytest.approx(2.0)
    assert len(clock.sleeps) == 20
    assert all(s == pytest.approx(0.1) for s in clock.sleeps)


def test_time_spent_elsewhere_counts_towards_the_next_token():
    limiter, clock = bucket(4)
    limiter.acquire()
    clock.now += 0.2  # submitting took 0.2 s of the 0.25 s interval
    assert limiter.acquire() == pytest.approx(0.05)


def test_a_burst_is_allowed_after_idling_but_never_more_than_its_size():
    limiter, clock = bucket(2, burst=5)
    for _ in range(5):
        assert limiter.acquire() == 0
    assert limiter.acquire() == pytest.approx(0.5)
    clock.now += 3600  # an hour idle refills only up to the burst
    assert sum(limiter.acquire() for _ in range(6)) == pytest.approx(0.5)


def test_a_refunded_token_is_spent_again_without_waiting():
    limiter, clock = bucket(1)
    limiter.acquire()
    limiter.refund()  # that submit turned out a duplicate
    assert limiter.acquire() == 0
    assert limiter.acquire() == pytest.approx(1.0)
    assert clock.now - 100.0 == pytest.approx(1.0)


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_must_be_positive(rate):
    with pytest.raises(ValueError, match="above 0"):
        TokenBucket(rate)


def item(published_at=None, modified_at=None, raw=b"Some story.", content_type="text/plain"):
    return InputItem(raw, "x", content_type, published_at=published_at, modified_at=modified_at)


@pytest.mark.parametrize(
    ("published_at", "modified_at", "expected"),
    [
        (date(2024, 5, 31), NEW_FILE, "published_at"),  # the envelope wins over the file time
        (date(2024, 6, 1), OLD_FILE, None),  # a date is midnight UTC: not older
        (datetime(2024, 5, 31, 23, 0), NEW_FILE, "published_at"),  # naive: UTC
        (datetime(2024, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=3))), NEW_FILE, "published_at"),
        (None, OLD_FILE, "mtime"),
        (None, NEW_FILE, None),
        (None, None, None),
    ],
)
def test_since_uses_published_at_else_the_file_time(published_at, modified_at, expected):
    assert older_than(item(published_at, modified_at), SINCE) == expected


def test_since_reads_published_at_from_a_json_file():
    raw = b'{"text": "A story.", "published_at": "2023-02-01T10:00:00Z"}'
    assert older_than(item(raw=raw, content_type=None, modified_at=NEW_FILE), SINCE) == (
        "published_at"
    )
    plain = b"{Not JSON} but a story that opens on a brace."
    assert older_than(item(raw=plain, content_type=None, modified_at=NEW_FILE), SINCE) is None


def test_since_takes_iso_dates_and_reads_naive_ones_as_utc():
    assert parse_since("2024-06-01") == SINCE
    assert parse_since("2024-06-01T03:00:00+03:00") == SINCE
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_since("last tuesday")


def test_the_tally_says_why_articles_were_skipped():
    tally = BackfillTally(skipped_published=3, older_by_published_at=2, older_by_mtime=1)
    assert tally.skipped_line(SINCE) == (
        "skipped 3 already published (--resume), 3 older than 2024-06-01T00:00:00+00:00 "
        "(2 by published_at, 1 by file time)"
    )
    assert BackfillTally().skipped_line(None) is None


def test_only_the_first_refusals_are_listed_but_all_are_counted():
    tally = BackfillTally()
    for n in range(25):
        tally.note_refusal(f"a.jsonl:{n}", "malformed_envelope")
    lines = tally.refusal_lines()
    assert tally.rejected == 25
    assert len(lines) == 21 and lines[-1] == "rejected: … and 5 more"

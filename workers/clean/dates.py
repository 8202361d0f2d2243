"""Publication dates from header lines: explicit dates, and relative ages with a reference."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

# Each pattern finds a full date (with year) anywhere in a short line.
_EXPLICIT = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),  # July 28, 2024
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I),  # 28 July 2024
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"),  # 2024-07-28
    # 28.07.2024: dotted numeric dates are day-first wherever they are written.
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mnum>\d{1,2})\.(?P<year>(?:19|20)\d{2})\b"),
)

_AGE = re.compile(
    r"(?P<n>\d+|an?|one)\s*(?P<unit>sec(?:ond)?|min(?:ute)?|hour|hr|day|week|month|year"
    r"|[hmdwy](?=\s))s?\s+ago",
    re.I,
)
_UNIT_SECONDS = {
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "y": 365 * 86400,
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}

# A header line that is essentially a date (with optional time, zone, weekday, "Updated:").
DATE_LINE = re.compile(
    r"(?:(?:updated|published|posted|last\s+updated|first\s+published|last\s+modified)"
    r"\s*:?\s*(?:on\s+)?)?"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"[\w ,./:-]{0,12}?(?:\d{4}|\d{1,2}(?:st|nd|rd|th)?)[\w ,./:()+-]{0,40}",
    re.I,
)


def find_date(text: str) -> date | None:
    """The first full calendar date (day, month, year) written in `text`, or None."""
    for pattern in _EXPLICIT:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["mnum"]) if parts.get("mnum") else _MONTHS[parts["month"].lower()]
            try:
                return date(int(parts["year"]), month, int(parts["day"]))
            except ValueError:
                continue
    return None


def is_date_line(text: str) -> bool:
    """True for a short header line that is a publication date and nothing else."""
    return len(text) <= 60 and find_date(text) is not None and DATE_LINE.fullmatch(text) is not None


def resolve_age(text: str, reference: datetime | None) -> datetime | date | None:
    """'2 days ago' against `reference`: a date for day-or-longer ages, a datetime otherwise."""
    if reference is None:
        return None
    match = _AGE.search(text)
    if match is None:
        return None
    n_text = match["n"].lower()
    n = 1 if n_text in {"a", "an", "one"} else int(n_text)
    unit = match["unit"].lower()
    seconds = _UNIT_SECONDS[unit] * n
    when = reference - timedelta(seconds=seconds)
    return when.date() if seconds >= 86400 else when.replace(microsecond=0)

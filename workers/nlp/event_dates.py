"""When an event happened: a date expression resolved against the article's publication date.

Returns the value, its precision and the source text; the value is null when the text has
no absolute date and the article no publication date: never a guessed date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from schemas.record import EventDate

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_FULL = [
    re.compile(rf"\b([a-z]+)\.?\s+{_ORDINAL},?\s+(\d{{4}})\b", re.I),  # August 15th, 2024
    re.compile(rf"\b{_ORDINAL}\s+([a-z]+),?\s+(\d{{4}})\b", re.I),  # 15 August 2024
]
_MONTH_YEAR = re.compile(r"\b([a-z]+)\s+(\d{4})\b", re.I)  # June 2024
_MONTH_DAY = re.compile(rf"\b([a-z]+)\.?\s+{_ORDINAL}\b", re.I)  # August 15
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")


def resolve_date(text: str, published: date | None, *, future: bool = False) -> EventDate:
    """Resolve `text` ('on Friday', 'last month', 'in June', 'August 15th, 2024')."""
    phrase = text.strip()
    low = phrase.lower()
    absolute = _absolute(phrase)
    if absolute is not None:
        return EventDate(value=absolute[0], precision=absolute[1], text=phrase)  # type: ignore[arg-type]
    if published is None:
        return EventDate(value=None, precision=None, text=phrase)
    value: str | None = None
    precision: str | None = None
    if "yesterday" in low:
        value, precision = (published - timedelta(days=1)).isoformat(), "day"
    elif re.search(r"\b(today|tonight|this morning|this afternoon|this evening)\b", low):
        value, precision = published.isoformat(), "day"
    elif "tomorrow" in low:
        value, precision = (published + timedelta(days=1)).isoformat(), "day"
    elif (day := _weekday(low)) is not None:
        value, precision = _nearest_weekday(published, day, future).isoformat(), "day"
    elif re.search(r"\blast month\b", low):
        first = published.replace(day=1) - timedelta(days=1)
        value, precision = first.strftime("%Y-%m"), "month"
    elif re.search(r"\b(this month|earlier this month|later this month)\b", low):
        value, precision = published.strftime("%Y-%m"), "month"
    elif re.search(r"\bnext month\b", low):
        nxt = (published.replace(day=28) + timedelta(days=4)).replace(day=1)
        value, precision = nxt.strftime("%Y-%m"), "month"
    elif re.search(r"\blast year\b", low):
        value, precision = str(published.year - 1), "year"
    elif re.search(r"\b(this year|earlier this year)\b", low):
        value, precision = str(published.year), "year"
    elif re.search(r"\bnext year\b", low):
        value, precision = str(published.year + 1), "year"
    elif re.search(r"\blast week\b", low):
        # A week is finer than a month but not a day: say the month it fell in.
        value, precision = (published - timedelta(days=7)).strftime("%Y-%m"), "month"
    elif (month := _month(low)) is not None:
        year = published.year
        if future and month < published.month:
            year += 1
        elif not future and month > published.month:
            year -= 1  # 'in June' written in March means last June
        if (day_match := _MONTH_DAY.search(phrase)) and _MONTHS.get(
            day_match.group(1).lower()
        ) == month:
            value, precision = date(year, month, int(day_match.group(2))).isoformat(), "day"
        else:
            value, precision = f"{year:04d}-{month:02d}", "month"
    return EventDate(value=value, precision=precision, text=phrase)  # type: ignore[arg-type]


def _absolute(phrase: str) -> tuple[str, str] | None:
    for pattern in _FULL:
        if match := pattern.search(phrase):
            parts = match.groups()
            month_name, day_text = (
                (parts[0], parts[1]) if pattern is _FULL[0] else (parts[1], parts[0])
            )
            month = _MONTHS.get(month_name.lower())
            if month:
                try:
                    return date(int(parts[2]), month, int(day_text)).isoformat(), "day"
                except ValueError:
                    return None
    if (match := _MONTH_YEAR.search(phrase)) and (month := _MONTHS.get(match.group(1).lower())):
        return f"{int(match.group(2)):04d}-{month:02d}", "month"
    if (match := _YEAR.fullmatch(phrase.strip().removeprefix("in ").strip())) is not None:
        return match.group(1), "year"
    return None


def _weekday(low: str) -> int | None:
    for name, index in _WEEKDAYS.items():
        if re.search(rf"\b{name}\b", low):
            return index
    return None


def _month(low: str) -> int | None:
    for name, index in _MONTHS.items():
        if len(name) >= 3 and re.search(rf"\b{name}\b", low):
            return index
    return None


def _nearest_weekday(published: date, weekday: int, future: bool) -> date:
    """The weekday on or before publication (after it, for a future event)."""
    if future:
        ahead = (weekday - published.weekday()) % 7 or 7
        return published + timedelta(days=ahead)
    back = (published.weekday() - weekday) % 7
    return published - timedelta(days=back)

"""Noise rules as data: each pattern names the class of noise a whole line belongs to."""

from __future__ import annotations

import re

# (kind, pattern over the whole normalised line). Written against classes, not one outlet.
LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reading_time", re.compile(r"\d+\s*(?:mins?|minutes?)\s+read", re.I)),
    ("navigation", re.compile(r"(?:logo|go\s*to\s*top|back\s+to\s+top|skip\s+to\s+content)", re.I)),
)


def classify_line(text: str) -> str | None:
    """The noise kind of a whole line, or None when the line may be story text."""
    for kind, pattern in LINE_RULES:
        if pattern.fullmatch(text):
            return kind
    return None

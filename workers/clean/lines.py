"""Split decoded text into lines that remember their offsets in it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.clean.normalize import normalize_line

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the decoded text: its normalised form and its raw span."""

    text: str  # normalised
    start: int  # offsets into the decoded text, end exclusive, line break excluded
    end: int

    @property
    def blank(self) -> bool:
        """True for an empty or whitespace-only line."""
        return not self.text


def split_lines(decoded: str) -> list[Line]:
    """Every line of `decoded`, blank ones included, with raw offsets."""
    lines: list[Line] = []
    for match in _LINE.finditer(decoded):
        raw = match.group(0)
        if not raw:
            break
        body = raw.rstrip("\r\n")
        lines.append(Line(normalize_line(body), match.start(), match.start() + len(body)))
    return lines

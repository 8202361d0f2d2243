"""Decoded text → lines → paragraph units, each remembering its span in the decoded text."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from workers.clean.normalize import normalize_line

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_INDENT = re.compile(r"^(?: {2,}|\t)\S")
_TERMINAL = re.compile(r"[.!?…:;”\"’')\]]$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the decoded text: raw span (line break excluded) and normalised text."""

    raw: str
    start: int
    end: int
    text: str

    @property
    def blank(self) -> bool:
        """True for an empty or whitespace-only line."""
        return not self.text


@dataclass(slots=True)
class Unit:
    """A paragraph candidate: a span of the decoded text and its normalised text.

    `kind` is None while the unit may be main story, else the noise class that cut it.
    """

    start: int
    end: int
    text: str
    kind: str | None = None

    @property
    def words(self) -> int:
        """Number of whitespace-separated words."""
        return len(self.text.split())


def split_lines(decoded: str) -> list[Line]:
    """Every line of `decoded`, blank ones included, with raw offsets."""
    lines: list[Line] = []
    for match in _LINE.finditer(decoded):
        raw = match.group(0)
        if not raw:
            break
        body = raw.rstrip("\r\n")
        lines.append(Line(body, match.start(), match.start() + len(body), normalize_line(body)))
    return lines


def is_hard_wrapped(lines: list[Line]) -> bool:
    """True for text wrapped at a fixed width (newswire style), where lines are not paragraphs."""
    lengths = [len(line.text) for line in lines if not line.blank]
    if len(lengths) < 6:
        return False
    wrapped = sum(1 for n in lengths if 45 <= n <= 85)
    # Wrapped text: most lines sit in a narrow band and none is paragraph-long.
    return (
        wrapped / len(lengths) >= 0.6 and max(lengths) <= 100 and statistics.median(lengths) >= 45
    )


def units_from_lines(decoded: str, lines: list[Line]) -> list[Unit]:
    """Group lines into paragraph units: one line each, or wrapped blocks joined."""
    if not is_hard_wrapped(lines):
        return [Unit(line.start, line.end, line.text) for line in lines if not line.blank]
    units: list[Unit] = []
    block: list[Line] = []

    def flush() -> None:
        if block:
            units.append(Unit(block[0].start, block[-1].end, " ".join(line.text for line in block)))
            block.clear()

    for line in lines:
        if line.blank:
            flush()
            continue
        # An indented line opens a paragraph; so does a line after a short, finished one.
        if block and (
            _INDENT.match(line.raw)
            or (len(block[-1].text) < 45 and _TERMINAL.search(block[-1].text))
        ):
            flush()
        block.append(line)
    flush()
    return units

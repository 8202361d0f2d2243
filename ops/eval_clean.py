"""Score newsflow's cleaner against trafilatura on the article-extraction benchmark.

    python ops/eval_clean.py [--benchmarks DIR] [--limit N] [--mode html|text|both] [--json OUT]

HTML mode: every benchmark page through newsflow's `clean` (text/html) and through the
installed trafilatura's default `extract`, in one run on the same pages; the benchmark's
published outputs of other extractors (trafilatura 2.0.0 among them) are scored with the
same scorer, so every figure in the table is comparable.

Text mode: noisy plain-text documents from `noise.py` (a benchmark story wrapped in
headers, captions, teasers, widgets and unrelated stories) through newsflow's `clean`
(text/plain), against "no cleaning" and trafilatura on the text as one <p> per line; then
which classes of noise newsflow lets through, and how many story paragraphs it keeps.

Scores: `eval_metrics.py` (our re-implementation of the benchmark's 4-gram shingle metric).
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import trafilatura
from eval_metrics import (
    DocCounts,
    Scores,
    aggregate,
    bootstrap_f1_halfwidth,
    doc_precision,
    doc_recall,
    positive_int,
    shingle_counts,
    token_counts,
    tokenize,
)
from noise import NOISE_CLASSES, NoisyArticle, generate

from workers.clean import clean

DEFAULT_BENCHMARKS = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
EXTRACTION = "article_extraction"
SEED = 0
BOOTSTRAP_SAMPLES = 1000
# Probes this long are distinctive enough to look for anywhere in the output; shorter ones
# ("Comments", a headline) only count as a whole line, or they would match inside the story.
LONG_PROBE_CHARS = 40


@dataclass
class Run:
    """One system's outputs on a list of documents, with its timing and its failures."""

    name: str
    preds: list[str]
    seconds: float | None = None  # None for outputs read from disk
    errors: Counter[str] = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)


T = TypeVar("T")


@dataclass
class Scored:
    """A run's corpus scores under both metrics, with its per-document counts."""

    run: Run
    shingle: Scores
    shingle_ci: float
    token: Scores
    per_doc: list[DocCounts]


def timed_run(name: str, inputs: Sequence[T], extract: Callable[[T], str | None]) -> Run:
    """`extract` on every input, timed; None and exceptions are empty outputs, counted by type."""
    run = Run(name, [])
    start = time.perf_counter()
    for item in inputs:
        try:
            run.preds.append(extract(item) or "")
        except Exception as exc:  # a crash on one input must not end the evaluation
            kind = type(exc).__name__
            run.errors[kind] += 1
            run.first_error.setdefault(kind, str(exc)[:160])
            run.preds.append("")
    run.seconds = time.perf_counter() - start
    return run


def run_newsflow(name: str, raws: Sequence[bytes], content_type: str) -> Run:
    """newsflow's `clean` on every input."""
    return timed_run(name, raws, lambda raw: clean(raw, content_type=content_type).text)


def run_trafilatura(name: str, pages: Sequence[str]) -> Run:
    """trafilatura's default `extract` on every page."""
    return timed_run(name, pages, trafilatura.extract)


def score_run(run: Run, truths: Sequence[str], bootstrap: int) -> Scored:
    """Both metrics and the F1 bootstrap interval of one run (same resamples for every run)."""
    per_doc = [shingle_counts(t, p) for t, p in zip(truths, run.preds, strict=True)]
    tokens = [token_counts(t, p) for t, p in zip(truths, run.preds, strict=True)]
    return Scored(
        run=run,
        shingle=aggregate(per_doc),
        shingle_ci=bootstrap_f1_halfwidth(per_doc, n=bootstrap, seed=SEED),
        token=aggregate(tokens),
        per_doc=per_doc,
    )


def print_table(title: str, rows: Sequence[Scored]) -> None:
    """One line per system: shingle P/R/F1 ± CI, token P/R/F1, docs, failures, timing."""
    width = max(24, *(len(r.run.name) for r in rows))
    print(f"\n{title}")
    head = (
        f"{'system':<{width}}  {'shingle P':>9} {'R':>6} {'F1':>6} {'±95%':>6}"
        f"  {'token P':>7} {'R':>6} {'F1':>6}  {'docs':>4} {'empty':>5} {'err':>4}"
        f"  {'total s':>7} {'ms/page':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        empty = sum(1 for p in r.run.preds if not tokenize(p))
        timing = (
            f"{r.run.seconds:>7.1f} {1000 * r.run.seconds / max(1, len(r.run.preds)):>7.1f}"
            if r.run.seconds is not None
            else f"{'-':>7} {'-':>7}"
        )
        print(
            f"{r.run.name:<{width}}  {r.shingle.precision:>9.3f} {r.shingle.recall:>6.3f}"
            f" {r.shingle.f1:>6.3f} {r.shingle_ci:>6.3f}"
            f"  {r.token.precision:>7.3f} {r.token.recall:>6.3f} {r.token.f1:>6.3f}"
            f"  {r.shingle.docs:>4} {empty:>5} {sum(r.run.errors.values()):>4}  {timing}"
        )
    for r in rows:
        for kind, count in r.run.errors.most_common():
            print(f"  {r.run.name}: {count} × {kind}, e.g. {r.run.first_error[kind]!r}")


def _as_json(scored: Scored, ids: Sequence[str], per_doc: bool) -> dict[str, Any]:
    """A run's figures as plain JSON values (per-document P/R when asked)."""
    run = scored.run
    out: dict[str, Any] = {
        "name": run.name,
        "shingle": {
            "precision": scored.shingle.precision,
            "recall": scored.shingle.recall,
            "f1": scored.shingle.f1,
            "f1_ci95_halfwidth": scored.shingle_ci,
        },
        "token": {
            "precision": scored.token.precision,
            "recall": scored.token.recall,
            "f1": scored.token.f1,
        },
        "docs": scored.shingle.docs,
        "empty": sum(1 for p in run.preds if not tokenize(p)),
        "errors": dict(run.errors),
        "seconds": run.seconds,
        "ms_per_page": None if run.seconds is None else 1000 * run.seconds / max(1, len(ids)),
    }
    if per_doc:
        out["per_doc"] = {
            i: {"precision": doc_precision(c), "recall": doc_recall(c)}
            for i, c in zip(ids, scored.per_doc, strict=True)
        }
    return out


def load_baselines(folder: Path, ids: Sequence[str]) -> list[Run]:
    """The benchmark's published outputs, both file shapes, missing pages as empty outputs."""
    runs = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        # Some files wrap the outputs as {"version": ..., "output": {...}}, some do not.
        version = data.get("version") if isinstance(data.get("output"), dict) else None
        outputs = data["output"] if version is not None else data
        name = f"{path.stem} {version}" if version else path.stem
        preds = [(outputs.get(i) or {}).get("articleBody") or "" for i in ids]
        runs.append(Run(f"{name} (published)", preds))
    return runs


def html_mode(folder: Path, limit: int | None, bootstrap: int) -> dict[str, Any]:
    """Score newsflow, trafilatura as installed and the published outputs on the same pages."""
    truth_map = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth_map)[:limit]
    truths = [truth_map[i].get("articleBody") or "" for i in ids]
    raws = [gzip.decompress((folder / "html" / f"{i}.html.gz").read_bytes()) for i in ids]
    pages = [raw.decode("utf-8", errors="replace") for raw in raws]  # the pages are UTF-8

    version = trafilatura.__version__
    ours = score_run(run_newsflow("newsflow", raws, "text/html"), truths, bootstrap)
    theirs = score_run(run_trafilatura(f"trafilatura {version}", pages), truths, bootstrap)
    published = [
        score_run(r, truths, bootstrap) for r in load_baselines(folder / "baseline_outputs", ids)
    ]
    published.sort(key=lambda s: -s.shingle.f1)

    print_table(
        f"HTML mode: {len(ids)} benchmark pages; shingle = benchmark 4-gram metric, "
        f"±95% = bootstrap half-width of F1 ({bootstrap} resamples)",
        [ours, theirs, *published],
    )
    ratio = _ratio(ours.shingle.f1, theirs.shingle.f1)
    print(f"ratio newsflow/trafilatura F1 = {'n/a' if ratio is None else f'{ratio:.3f}'}")
    return {
        "pages": len(ids),
        "trafilatura_version": version,
        "systems": [
            _as_json(s, ids, per_doc=s is ours or s is theirs) for s in (ours, theirs, *published)
        ],
        "ratio_newsflow_trafilatura_f1": ratio,
    }


# --- text mode -------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")


def norm(text: str) -> str:
    """NFC, invisible characters dropped, every whitespace run one space: for comparing."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()


def norm_lines(text: str) -> Counter[str]:
    """Counts of the normalised non-blank lines of a text."""
    return Counter(line for line in map(norm, text.splitlines()) if line)


def as_html(text: str) -> str:
    """A minimal HTML page with one <p> per non-blank line of `text`."""
    body = "\n".join(
        f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip()
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
    return f"{head}<body>\n{body}\n</body></html>\n"


def leaks(doc: NoisyArticle, output: str) -> list[tuple[str, bool]]:
    """(class, leaked) for every noise item of a document, judged against `output`."""
    out_flat, out_lines = norm(output), norm_lines(output)
    truth_flat, truth_lines = norm(doc.truth), norm_lines(doc.truth)

    def surplus(probe: str) -> int:
        # Occurrences beyond those the story itself has: the headline may also open the story.
        if len(probe) >= LONG_PROBE_CHARS:
            return out_flat.count(probe) - truth_flat.count(probe)
        return out_lines[probe] - truth_lines[probe]

    result: list[tuple[str, bool]] = []
    budget: dict[str, int] = {}
    for item in doc.noise:
        probe = norm(item.probe)
        if len(probe) < LONG_PROBE_CHARS:
            # A short probe is only sought as a whole line, so seek the whole injected line.
            probe = norm(item.line)
        if probe not in budget:
            budget[probe] = max(0, surplus(probe))
        # A line injected twice (a headline, a teaser) leaks twice only if it shows up twice.
        leaked = budget[probe] > 0
        budget[probe] -= leaked
        result.append((item.kind, leaked))
    return result


def retention(doc: NoisyArticle, output: str) -> tuple[int, int]:
    """(kept, total): story paragraphs found whole in `output`."""
    flat = norm(output)
    paragraphs = [norm(p) for p in doc.paragraphs]
    return sum(1 for p in paragraphs if p and p in flat), len(paragraphs)


def leak_table(docs: Sequence[NoisyArticle], runs: Sequence[Run]) -> dict[str, dict[str, int]]:
    """Per noise class: items injected, documents with the class, items leaked by each run."""
    table: dict[str, dict[str, int]] = {k: {"injected": 0, "docs": 0} for k in NOISE_CLASSES}
    for run in runs:
        for row in table.values():
            row[run.name] = 0
    for index, doc in enumerate(docs):
        for kind in {item.kind for item in doc.noise}:
            table[kind]["docs"] += 1
        for item in doc.noise:
            table[item.kind]["injected"] += 1
        for run in runs:
            for kind, leaked in leaks(doc, run.preds[index]):
                table[kind][run.name] += leaked
    return table


def print_leaks(
    table: dict[str, dict[str, int]], runs: Sequence[Run], kept: dict[str, tuple[int, int]]
) -> None:
    """The per-class leak table and the story-paragraph retention of each run."""
    print("\nnoise left in the output per class (an item leaks when its text survives cleaning):")
    names = [r.name for r in runs]
    width = max(len(n) for n in names)

    def cell(leaked: int, injected: int) -> str:
        return f"{leaked:>{width - 9}} ({100 * leaked / max(1, injected):5.1f}%)"

    head = f"{'class':<16} {'docs':>5} {'items':>6}" + "".join(f"  {n:>{width}}" for n in names)
    print(head)
    print("-" * len(head))
    # Worst first for newsflow: where the cleaner's author should look.
    for kind, row in sorted(table.items(), key=lambda kv: -kv[1][names[0]]):
        cells = "".join(f"  {cell(row[n], row['injected'])}" for n in names)
        print(f"{kind:<16} {row['docs']:>5} {row['injected']:>6}{cells}")
    total = sum(row["injected"] for row in table.values())
    cells = "".join(f"  {cell(sum(r[n] for r in table.values()), total)}" for n in names)
    print(f"{'all':<16} {'':>5} {total:>6}{cells}")
    print("\nstory paragraphs kept whole (main-paragraph retention):")
    for name in names:
        k, n = kept[name]
        print(f"  {name:<{width}}  {k}/{n} = {k / max(1, n):.3f}")


def text_mode(folder: Path, limit: int | None, bootstrap: int) -> dict[str, Any]:
    """Noise-injected plain text: newsflow vs no cleaning vs trafilatura, then leaks per class."""
    truth_map = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    docs = generate(truth_map, seed=SEED, limit=limit)
    generated = time.perf_counter() - start
    ids = [d.item_id for d in docs]
    truths = [d.truth for d in docs]
    noisy = [d.text for d in docs]

    version = trafilatura.__version__
    ours = run_newsflow("newsflow (text/plain)", [t.encode("utf-8") for t in noisy], "text/plain")
    raw = Run("no cleaning", list(noisy))
    theirs = run_trafilatura(f"trafilatura {version} (<p>/line)", [as_html(t) for t in noisy])
    scored = [score_run(r, truths, bootstrap) for r in (ours, raw, theirs)]
    print_table(
        f"text mode: {len(docs)} noise-injected documents (seed {SEED}, generated in "
        f"{generated:.1f} s); same metrics",
        scored,
    )
    # Only in the JSON: the printed ratio line is the HTML benchmark's.
    ratio = _ratio(scored[0].shingle.f1, scored[2].shingle.f1)

    judged = (ours, theirs)
    table = leak_table(docs, judged)
    kept = {}
    for run in judged:
        pairs = [retention(d, p) for d, p in zip(docs, run.preds, strict=True)]
        kept[run.name] = (sum(k for k, _ in pairs), sum(n for _, n in pairs))
    print_leaks(table, judged, kept)
    return {
        "documents": len(docs),
        "seed": SEED,
        "trafilatura_version": version,
        "systems": [_as_json(s, ids, per_doc=s.run is not raw) for s in scored],
        "ratio_newsflow_trafilatura_f1": ratio,
        "leaks": table,
        "retention": {
            n: {"kept": k, "total": t, "rate": k / max(1, t)} for n, (k, t) in kept.items()
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run the chosen modes, print tables, write JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--benchmarks",
        type=Path,
        default=DEFAULT_BENCHMARKS,
        metavar="DIR",
        help=f"the shared benchmarks folder (default {DEFAULT_BENCHMARKS})",
    )
    parser.add_argument(
        "--limit", type=positive_int, metavar="N", help="only the first N pages / documents"
    )
    parser.add_argument("--mode", choices=("html", "text", "both"), default="both")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="OUT", help="write all figures here"
    )
    parser.add_argument(
        "--bootstrap",
        type=positive_int,
        default=BOOTSTRAP_SAMPLES,
        metavar="N",
        help="F1 bootstrap resamples (default 1000)",
    )
    args = parser.parse_args(argv)

    folder = args.benchmarks / EXTRACTION
    if not (folder / "ground-truth.json").is_file() or not (folder / "html").is_dir():
        print(
            f"error: no article-extraction benchmark at {folder} (need ground-truth.json and "
            "html/): put the shared benchmarks beside the repository, or pass --benchmarks DIR",
            file=sys.stderr,
        )
        return 2

    start = time.perf_counter()
    report: dict[str, Any] = {"benchmarks": str(args.benchmarks), "limit": args.limit}
    if args.mode in ("html", "both"):
        report["html"] = html_mode(folder, args.limit, args.bootstrap)
    if args.mode in ("text", "both"):
        report["text"] = text_mode(folder, args.limit, args.bootstrap)
    report["seconds"] = time.perf_counter() - start
    print(f"\ntotal wall time {report['seconds']:.1f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


def _ratio(ours: float, theirs: float) -> float | None:
    """ours / theirs, None when theirs is 0 (JSON has no NaN)."""
    return ours / theirs if theirs else None


if __name__ == "__main__":
    sys.exit(main())

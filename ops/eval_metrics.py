"""Scorers for article-body extraction: pure functions, no I/O.

The main metric is our own re-implementation, from its published description, of the
Zyte/ScrapingHub article-extraction benchmark's metric:

- tokens are the `\\w+` matches (Unicode) of a text, case kept;
- shingles are the consecutive 4-token tuples (a text of 1-3 tokens is one shingle of all its
  tokens; a text without tokens has none);
- per document, tp = sum of min(true, pred) over shingle counts, fp = sum of max(0, pred - true),
  fn = sum of max(0, true - pred), all three divided by tp + fp + fn so that a long document
  weighs no more than a short one;
- per-document precision tp / (tp + fp) and recall tp / (tp + fn), with 1.0 when fp == fn == 0
  and 0.0 when the denominator is 0;
- corpus precision is the mean over documents with tp + fp > 0 (something was predicted),
  corpus recall the mean over documents with tp + fn > 0 (something was expected), and F1 the
  harmonic mean of those two means.

The token variant does the same over a bag of lowercase `\\w+` tokens: it forgives order and
case, so the gap between the two shows how much of a score is about boundaries and order.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# A str pattern matches Unicode word characters by default.
_TOKEN = re.compile(r"\w+")

SHINGLE_SIZE = 4


@dataclass(frozen=True, slots=True)
class DocCounts:
    """One document's tp, fp and fn, normalised to sum to 1 (all 0 when both texts are empty)."""

    tp: float
    fp: float
    fn: float

    @property
    def predicted(self) -> bool:
        """True when the prediction had anything to score (it counts towards precision)."""
        return self.tp + self.fp > 0

    @property
    def expected(self) -> bool:
        """True when the ground truth had anything to score (it counts towards recall)."""
        return self.tp + self.fn > 0


@dataclass(frozen=True, slots=True)
class Scores:
    """Corpus-level precision, recall and F1 over `docs` documents."""

    precision: float
    recall: float
    f1: float
    docs: int


def tokenize(text: str) -> list[str]:
    """The `\\w+` tokens of `text`, case kept."""
    return _TOKEN.findall(text or "")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Counts of the consecutive `size`-token tuples of `text` (one short shingle if fewer)."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def token_bag(text: str) -> Counter[str]:
    """Counts of the lowercase `\\w+` tokens of `text`."""
    return Counter(token.lower() for token in tokenize(text))


def match_counts(true: Counter[Hashable], pred: Counter[Hashable]) -> DocCounts:
    """Normalised tp/fp/fn between two multisets (of shingles or tokens)."""
    tp = fp = fn = 0
    for key in true.keys() | pred.keys():
        t, p = true.get(key, 0), pred.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    if total == 0:
        return DocCounts(0.0, 0.0, 0.0)
    return DocCounts(tp / total, fp / total, fn / total)


def shingle_counts(true: str, pred: str) -> DocCounts:
    """The benchmark's per-document counts: 4-token shingles of the two texts."""
    return match_counts(shingles(true), shingles(pred))


def token_counts(true: str, pred: str) -> DocCounts:
    """Per-document counts over bags of lowercase tokens."""
    return match_counts(token_bag(true), token_bag(pred))


def doc_precision(c: DocCounts) -> float:
    """tp / (tp + fp); 1.0 when nothing is wrong, 0.0 when nothing was predicted."""
    if c.fp == c.fn == 0:
        return 1.0
    if c.tp == c.fp == 0:
        return 0.0
    return c.tp / (c.tp + c.fp)


def doc_recall(c: DocCounts) -> float:
    """tp / (tp + fn); 1.0 when nothing is wrong, 0.0 when nothing was expected."""
    if c.fp == c.fn == 0:
        return 1.0
    if c.tp == c.fn == 0:
        return 0.0
    return c.tp / (c.tp + c.fn)


def harmonic_mean(a: float, b: float) -> float:
    """2ab / (a + b), 0.0 when both are 0."""
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def aggregate(counts: Sequence[DocCounts]) -> Scores:
    """Corpus scores: mean precision over predicted docs, mean recall over expected docs."""
    precisions = [doc_precision(c) for c in counts if c.predicted]
    recalls = [doc_recall(c) for c in counts if c.expected]
    # An empty mean is 0: a system that predicted nothing has no precision to speak of.
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return Scores(precision=p, recall=r, f1=harmonic_mean(p, r), docs=len(counts))


def score_texts(
    truths: Sequence[str], preds: Sequence[str], *, token_level: bool = False
) -> Scores:
    """Corpus scores of predictions against ground truths, paired by position."""
    if len(truths) != len(preds):
        raise ValueError(f"{len(truths)} ground truths but {len(preds)} predictions")
    count = token_counts if token_level else shingle_counts
    return aggregate([count(t, p) for t, p in zip(truths, preds, strict=True)])


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def bootstrap_f1_halfwidth(
    counts: Sequence[DocCounts], *, n: int = 1000, seed: int = 0, level: float = 0.95
) -> float:
    """Half the width of the percentile bootstrap interval of F1 (documents resampled)."""
    if not counts or n <= 0:
        return 0.0
    # Per-doc values once; None marks a doc left out of that mean.
    per_doc = [
        (doc_precision(c) if c.predicted else None, doc_recall(c) if c.expected else None)
        for c in counts
    ]
    rng = random.Random(seed)  # same seed → same resamples for every system: paired intervals
    size = len(per_doc)
    f1s: list[float] = []
    for _ in range(n):
        p_sum = r_sum = 0.0
        p_n = r_n = 0
        for i in rng.choices(range(size), k=size):
            p, r = per_doc[i]
            if p is not None:
                p_sum += p
                p_n += 1
            if r is not None:
                r_sum += r
                r_n += 1
        f1s.append(harmonic_mean(p_sum / p_n if p_n else 0.0, r_sum / r_n if r_n else 0.0))
    f1s.sort()
    tail = (1 - level) / 2
    return (_quantile(f1s, 1 - tail) - _quantile(f1s, tail)) / 2


def positive_int(value: str) -> int:
    """argparse type: a positive integer."""
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return number


@dataclass
class Counts:
    """True positives, false positives and false negatives of one type (or overall)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        """Add another count in place."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


class PRF(NamedTuple):
    """Precision, recall and F1 of counts (0.0 when undefined)."""

    precision: float
    recall: float
    f1: float


def prf(counts: Counts) -> PRF:
    """Precision, recall and F1 of counts; 0.0 where a denominator is zero."""
    p = counts.tp / (counts.tp + counts.fp) if counts.tp + counts.fp else 0.0
    r = counts.tp / (counts.tp + counts.fn) if counts.tp + counts.fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f1)

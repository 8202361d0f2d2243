"""The pure parts of ops/eval_ner.py (CoNLL-2003 scorer) on tiny hand-made examples."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# ops/ scripts import their siblings, as they do when run as `python ops/eval_ner.py`.
sys.path.insert(0, str(ROOT / "ops"))
_spec = importlib.util.spec_from_file_location("eval_ner", ROOT / "ops" / "eval_ner.py")
assert _spec is not None and _spec.loader is not None
E = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("eval_ner", E)
_spec.loader.exec_module(E)

TS = E.TokenSpan


# ----------------------------------------------------------------------------- IOB decoding


def test_iob1_runs_of_i_are_one_entity():
    assert E.iob_to_spans(["I-PER", "I-PER", "O", "I-LOC"]) == [TS(0, 2, "PER"), TS(3, 4, "LOC")]


def test_iob1_b_splits_two_adjacent_entities_of_the_same_type():
    tags = ["I-LOC", "I-LOC", "B-LOC", "I-LOC", "O"]
    assert E.iob_to_spans(tags) == [TS(0, 2, "LOC"), TS(2, 4, "LOC")]


def test_iob1_type_change_without_b_starts_a_new_entity():
    assert E.iob_to_spans(["I-PER", "I-ORG", "I-ORG"]) == [TS(0, 1, "PER"), TS(1, 3, "ORG")]


def test_iob1_single_token_b_after_same_type():
    assert E.iob_to_spans(["I-MISC", "B-MISC"]) == [TS(0, 1, "MISC"), TS(1, 2, "MISC")]


def test_bio_spans():
    tags = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC"]
    assert E.iob_to_spans(tags) == [TS(0, 2, "PER"), TS(2, 3, "PER"), TS(4, 6, "LOC")]


def test_bio_malformed_i_after_o_or_other_type_starts_an_entity():
    assert E.iob_to_spans(["O", "I-MISC", "I-MISC"]) == [TS(1, 3, "MISC")]
    assert E.iob_to_spans(["B-PER", "I-ORG"]) == [TS(0, 1, "PER"), TS(1, 2, "ORG")]


def test_entity_at_sentence_end_and_empty_sentence():
    assert E.iob_to_spans(["O", "B-ORG"]) == [TS(1, 2, "ORG")]
    assert E.iob_to_spans(["O", "O"]) == []
    assert E.iob_to_spans([]) == []


def test_bad_tag_is_an_error():
    with pytest.raises(ValueError):
        E.iob_to_spans(["X-PER"])
    with pytest.raises(ValueError):
        E.iob_to_spans(["B-"])


def _iob1_to_bio(tags: list[str]) -> list[str]:
    """Reference conversion: an entity's first token becomes B-, the rest I-."""
    out = []
    previous = ""
    for tag in tags:
        if tag == "O":
            out.append("O")
            previous = ""
            continue
        prefix, kind = tag.split("-")
        out.append(f"B-{kind}" if prefix == "B" or kind != previous else f"I-{kind}")
        previous = kind
    return out


def _random_iob1(rng: random.Random, n: int) -> list[str]:
    """A valid IOB1 sequence: B-X only right after an entity of type X."""
    tags: list[str] = []
    previous = ""
    for _ in range(n):
        choice = rng.choice(["O", "PER", "LOC", "B"])
        if choice == "O":
            tags.append("O")
            previous = ""
        elif choice == "B" and previous:
            tags.append(f"B-{previous}")
        elif choice == "B":
            tags.append("O")
        else:
            tags.append(f"I-{choice}")
            previous = choice
    return tags


def test_iob1_and_bio_copies_decode_to_the_same_spans():
    rng = random.Random(0)
    for _ in range(500):
        iob1 = _random_iob1(rng, rng.randint(0, 12))
        bio = _iob1_to_bio(iob1)
        assert E.tag_problems(iob1, "iob1") == []
        assert E.tag_problems(bio, "bio") == []
        assert E.iob_to_spans(iob1) == E.iob_to_spans(bio), (iob1, bio)


def test_tag_problems_flag_scheme_violations():
    assert E.tag_problems(["O", "B-PER"], "iob1")  # B- not after a PER entity
    assert E.tag_problems(["I-LOC", "B-PER"], "iob1")
    assert not E.tag_problems(["I-PER", "B-PER"], "iob1")
    assert E.tag_problems(["O", "I-PER"], "bio")
    assert E.tag_problems(["B-LOC", "I-PER"], "bio")
    assert not E.tag_problems(["B-PER", "I-PER", "B-PER"], "bio")


# ----------------------------------------------------------------------------- parsing, offsets


def test_parse_conll_documents_and_sentences():
    lines = [
        "EU NNP I-NP I-ORG",
        "rejects VBZ I-VP O",
        "",
        "Peter NNP I-NP I-PER",
        "",
        "-DOCSTART- -X- -X- O",
        "",
        "Bonn NNP I-NP I-LOC",
        "",
        "",
        "-DOCSTART- -X- -X- O",  # trailing DOCSTART, as in this copy of eng.testb
    ]
    docs = E.parse_conll(lines)
    assert docs == [
        [(["EU", "rejects"], ["I-ORG", "O"]), (["Peter"], ["I-PER"])],
        [(["Bonn"], ["I-LOC"])],
    ]


def test_parse_conll_leading_docstart_and_no_final_blank_line():
    docs = E.parse_conll(["-DOCSTART- -X- -X- O", "", "Rome NNP I-NP I-LOC"])
    assert docs == [[(["Rome"], ["I-LOC"])]]


def test_join_tokens_offsets():
    text, starts, ends = E.join_tokens(["U.S.", "'s", "Clinton"])
    assert text == "U.S. 's Clinton"
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["U.S.", "'s", "Clinton"]


def test_char_to_token_span():
    text, starts, ends = E.join_tokens(["New", "York", "Stock", "Exchange"])
    assert E.char_to_token_span(0, 8, starts, ends) == (0, 2)  # "New York"
    assert E.char_to_token_span(4, 8, starts, ends) == (1, 2)  # "York"
    assert E.char_to_token_span(0, len(text), starts, ends) == (0, 4)
    assert E.char_to_token_span(1, 8, starts, ends) is None  # starts inside "New"
    assert E.char_to_token_span(0, 6, starts, ends) is None  # ends inside "York"
    assert E.char_to_token_span(3, 8, starts, ends) is None  # starts on the space
    assert E.char_to_token_span(0, 9, starts, ends) is None  # trailing space
    assert E.char_to_token_span(4, 3, starts, ends) is None  # empty / reversed
    assert E.char_to_token_span(0, 99, starts, ends) is None  # beyond the sentence


def test_type_map():
    assert E.map_label("PERSON") == "PER"
    assert E.map_label("GPE") == E.map_label("FAC") == E.map_label("LOC") == "LOC"
    assert E.map_label("NORP") == E.map_label("EVENT") == E.map_label("LAW") == "MISC"
    for label in E.DROPPED_LABELS:
        assert E.map_label(label) is None


# ----------------------------------------------------------------------------- matching, P/R/F1


def _counts(result, kind):
    c = result[kind]
    return (c.tp, c.fp, c.fn)


def test_exact_match_is_a_true_positive():
    gold = [TS(0, 2, "PER"), TS(3, 4, "LOC")]
    result = E.match_sentence(gold, [TS(0, 2, "PER"), TS(3, 4, "LOC")], ["PER", "LOC"])
    assert _counts(result, "PER") == (1, 0, 0)
    assert _counts(result, "LOC") == (1, 0, 0)


def test_partial_overlap_is_one_false_positive_and_one_false_negative():
    gold = [TS(0, 3, "ORG")]  # "New York Times"
    result = E.match_sentence(gold, [TS(0, 2, "ORG")], ["ORG"])  # "New York"
    assert _counts(result, "ORG") == (0, 1, 1)
    result = E.match_sentence(gold, [TS(0, 4, "ORG")], ["ORG"])  # one token too many
    assert _counts(result, "ORG") == (0, 1, 1)


def test_right_span_wrong_type_counts_against_both_types():
    result = E.match_sentence([TS(0, 1, "ORG")], [TS(0, 1, "LOC")], ["LOC"])
    assert _counts(result, "ORG") == (0, 0, 1)
    assert _counts(result, "LOC") == (0, 1, 0)


def test_misaligned_prediction_is_a_false_positive():
    result = E.match_sentence([TS(0, 1, "PER")], [None], ["PER"])
    assert _counts(result, "PER") == (0, 1, 1)


def test_duplicate_prediction_counts_once():
    result = E.match_sentence([TS(0, 1, "PER")], [TS(0, 1, "PER")] * 2, ["PER", "PER"])
    assert _counts(result, "PER") == (1, 1, 0)


def test_prf_and_micro():
    assert E.prf(E.Counts(0, 0, 0)) == (0.0, 0.0, 0.0)
    assert E.prf(E.Counts(0, 3, 0)) == (0.0, 0.0, 0.0)
    p, r, f1 = E.prf(E.Counts(tp=3, fp=1, fn=3))
    assert (p, r) == (0.75, 0.5)
    assert f1 == pytest.approx(0.6)
    per_type = {"PER": E.Counts(1, 1, 0), "ORG": E.Counts(2, 0, 2), "XYZ": E.Counts(9, 9, 9)}
    total = E.micro(per_type)
    assert (total.tp, total.fp, total.fn) == (3, 1, 2)


def test_classify_errors():
    gold = [(0, 8, "LOC"), (10, 15, "PER"), (20, 25, "ORG"), (30, 35, "MISC")]
    pred = [(0, 8, "LOC"), (10, 15, "ORG"), (20, 22, "ORG"), (30, 33, "PER"), (40, 45, "PER")]
    fn, fp = E.classify_errors(gold, pred)
    assert fn == [None, "type", "boundary", "boundary+type"]
    assert fp == [None, "type", "boundary", "boundary+type", "spurious"]
    fn, fp = E.classify_errors([(0, 3, "PER")], [])
    assert (fn, fp) == (["missed"], [])


# ----------------------------------------------------------------------------- the real files


def test_benchmark_copies_agree_with_source_md():
    folder = E.DEFAULT_BENCHMARKS / E.CONLL
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    expected = {"testb": (3453, 46435, 231, 5648), "testa": (3250, 51362, 216, 5942)}
    for split, (n_sent, n_tok, n_docs, n_ents) in expected.items():
        iob1, docs = E.load_sentences(folder / E.FILES[(split, "iob1")], None)
        bio, _ = E.load_sentences(folder / E.FILES[(split, "bio")], None)
        assert (len(iob1), sum(len(s.tokens) for s in iob1), docs) == (n_sent, n_tok, n_docs)
        assert sum(len(s.gold) for s in iob1) == n_ents
        assert [s.gold for s in iob1] == [s.gold for s in bio]
        assert sum(len(E.tag_problems(s.tags, "iob1")) for s in iob1) == 0
        assert sum(len(E.tag_problems(s.tags, "bio")) for s in bio) == 0

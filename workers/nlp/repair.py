"""`newsflow_entity_repair`: a spaCy component that fixes what the small model gets wrong on
news, and adds what the knowledge base knows.

Runs after `ner`. It:
1. trims bullets, punctuation and possessives ("North Korea’s" → "North Korea") off spans;
2. keeps hyphenated East Asian given names whole ("Yoon Suk" + "-yeol" → "Yoon Suk-yeol");
3. strips leading titles off people ("President Putin" → "Putin"; the title becomes a role);
4. drops title phrases taken for organisations ("Secretary of State" → no ORG "State");
5. drops capitalised common nouns taken for people ("Protesters", "Analysts"), and makes a
   known person's surname a person ("Zelenskyy" taken for a place);
6. adds knowledge-base names the model missed or mislabelled ("KCNA" → ORG,
   "Pyongyang" → GPE), never breaking a longer span the model found.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from wordfreq import zipf_frequency

from workers.nlp.kb import KnowledgeBase, load_kb
from workers.nlp.titles import TITLE_PHRASES, TITLE_WORDS

_TRIM = frozenset("•·▪►-–—:;,.\"'“”‘’()[]|/")
_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
COMMON_WORD_ZIPF = 3.5  # a lowercase word this frequent is a common noun, not a name


@Language.factory(
    "newsflow_entity_repair",
    default_config={"kb_path": None},
    requires=["doc.ents", "token.is_sent_start"],
    assigns=["doc.ents"],
)
def make_entity_repair(nlp: Language, name: str, kb_path: str | None) -> EntityRepair:
    """Build the component (the knowledge base is loaded once per process)."""
    from pathlib import Path

    from workers.nlp.kb import KB_PATH

    return EntityRepair(nlp, load_kb(Path(kb_path) if kb_path else KB_PATH))


class EntityRepair:
    """Fix and complete `doc.ents`."""

    def __init__(self, nlp: Language, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.names = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.titles = PhraseMatcher(nlp.vocab, attr="LOWER")
        for label, texts in _gazetteer(kb).items():
            self.names.add(label, [nlp.make_doc(t) for t in texts])
        self.titles.add("TITLE", [nlp.make_doc(t) for t in TITLE_PHRASES])

    def __call__(self, doc: Doc) -> Doc:
        titles = [doc[s:e] for _, s, e in self.titles(doc)]
        spans: list[Span] = []
        for ent in doc.ents:
            fixed = self._fix(doc, ent, titles)
            if fixed is not None:
                spans.append(fixed)
        known = [Span(doc, s, e, label=m) for m, s, e in self.names(doc)]
        known = [s for s in known if not _inside_any(s, titles)]
        doc.ents = _merge(spans, known)
        return doc

    def _fix(self, doc: Doc, ent: Span, titles: list[Span]) -> Span | None:
        start, end, label = ent.start, ent.end, ent.label_
        while start < end and (doc[start].text in _TRIM or doc[start].is_space):
            start += 1
        for i in range(start, end):
            if doc[i].is_space or "\n" in doc[i].whitespace_:
                end = i if doc[i].is_space else i + 1  # a name never crosses a line break
                break
        while end > start and (doc[end - 1].text in _TRIM | _POSSESSIVE or doc[end - 1].is_space):
            end -= 1
        if label == "PERSON":
            while start < end - 1 and doc[start].lower_.rstrip(".") in TITLE_WORDS:
                start += 1
            end = _extend_hyphenated(doc, end)
        elif start < end - 1 and doc[start].lower_ in {"the", "a", "an"}:
            start += 1  # "the United States" names the United States
        if start >= end:
            return None
        if (
            end - start == 1
            and label in {"GPE", "ORG", "NORP"}
            and self.kb.lookup(doc[start].text) is None
            and self.kb.by_surname(doc[start].text) is not None
        ):
            label = "PERSON"  # a known person's surname the model took for a place
        span = Span(doc, start, end, label=label)
        if label in {"ORG", "GPE", "LOC"} and _inside_any(span, titles):
            return None
        if label == "PERSON" and (self._common_noun(span) or not any(t.is_title for t in span)):
            return None  # 'Protesters', or 'hypersonic missiles': no name at all
        if label in {"ORG", "GPE", "NORP"} and all(
            t.lower_.rstrip(".") in TITLE_WORDS for t in span
        ):
            return None  # 'Defence' out of 'Defence Minister'
        return span

    def _common_noun(self, span: Span) -> bool:
        """A one-word 'person' that is an ordinary word ('Protesters' at a sentence start)."""
        if len(span) != 1 or self.kb.lookup(span.text, "PERSON") is not None:
            return False
        token = span[0]
        word = token.lower_
        if word in TITLE_WORDS:
            return True
        if token.tag_:
            # The tagger tells a common noun ('Analysts', NNS) from a name ('Smith', NNP).
            return token.tag_ in {"NN", "NNS"}
        at_start = token.is_sent_start or token.i == 0 or token.nbor(-1).text in {"“", '"', "‘"}
        return at_start and zipf_frequency(word, "en") >= COMMON_WORD_ZIPF


def _extend_hyphenated(doc: Doc, end: int) -> int:
    """Take in '-yeol' after 'Yoon Suk': a hyphen and a lowercase part, with no spaces."""
    while (
        end + 1 < len(doc)
        and doc[end].text in {"-", "‐"}
        and not doc[end - 1].whitespace_
        and not doc[end].whitespace_
        and doc[end + 1].is_lower
        and doc[end + 1].is_alpha
    ):
        end += 2
    return end


def _inside_any(span: Span, containers: list[Span]) -> bool:
    return any(c.start <= span.start and span.end <= c.end for c in containers)


def _merge(model: list[Span], known: list[Span]) -> tuple[Span, ...]:
    """The model's spans, relabelled or completed by knowledge-base matches.

    A KB match with exactly the span of a model entity gives it the KB's label; a KB match
    overlapping nothing is added; a model span longer than a KB match wins ("Japan Times"
    stays an ORG although "Japan" is a country).
    """
    by_bounds = {(s.start, s.end): s for s in model}
    result = list(model)
    for span in known:
        if (span.start, span.end) in by_bounds:
            result.remove(by_bounds[(span.start, span.end)])
            result.append(span)
        elif not any(s.start < span.end and span.start < s.end for s in model):
            result.append(span)
    return tuple(filter_spans(result))


def _gazetteer(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Surface forms per label from the knowledge base (case kept: 'US' is not 'us')."""
    forms: dict[str, set[str]] = {"GPE": set(), "PERSON": set(), "ORG": set(), "NORP": set()}
    for entries in kb.by_name.values():
        for entry in entries:
            label = entry.type
            for text in (entry.name, *entry.aliases):
                if len(text) >= 2:
                    forms[label].add(text)
    for iso3, country in kb.countries.items():
        del iso3
        forms["GPE"].add(country.name)
    forms["NORP"] |= set(kb.demonym_forms)
    return {label: sorted(texts) for label, texts in forms.items() if texts}

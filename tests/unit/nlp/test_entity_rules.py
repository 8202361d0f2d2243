"""Entity repair and canonicalisation rules on a blank pipeline with hand-set spans."""

from __future__ import annotations

import re

import pytest
import spacy
from spacy.tokens import Doc

from workers.nlp.canonical import entities_from_doc, stable_id
from workers.nlp.kb import build
from workers.nlp.repair import EntityRepair

KB = build(
    {
        "version": "test",
        "countries": [
            {
                "iso3": "PRK",
                "name": "North Korea",
                "wikidata": "Q423",
                "aliases": ["DPRK"],
                "demonyms": ["North Korean"],
                "capital": {"name": "Pyongyang", "aliases": []},
            },
            {
                "iso3": "KOR",
                "name": "South Korea",
                "wikidata": "Q884",
                "aliases": [],
                "demonyms": ["South Korean"],
                "capital": {"name": "Seoul", "aliases": []},
            },
            {
                "iso3": "RUS",
                "name": "Russia",
                "wikidata": "Q159",
                "aliases": [],
                "demonyms": ["Russian"],
                "capital": {"name": "Moscow", "aliases": []},
            },
        ],
        "people": [
            {
                "name": "Kim Jong Un",
                "wikidata": "Q56226",
                "country": "PRK",
                "aliases": ["Kim Jong-un"],
                "roles": ["Supreme Leader"],
            }
        ],
        "organizations": [
            {
                "name": "Korean Central News Agency",
                "wikidata": None,
                "country": "PRK",
                "aliases": ["KCNA"],
                "kind": "state_media",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def nlp():
    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    return blank


def doc_with(nlp, text: str, spans: list[tuple[str, str]]) -> Doc:
    """A doc whose entities are the given (surface, label) pairs, found left to right."""
    doc = nlp(text)
    ents, at = [], 0
    for surface, label in spans:
        start = text.index(surface, at)
        at = start + len(surface)
        ents.append(doc.char_span(start, at, label=label, alignment_mode="expand"))
    doc.ents = ents
    return doc


def repaired(nlp, text, spans):
    return [(e.text, e.label_) for e in EntityRepair(nlp, KB)(doc_with(nlp, text, spans)).ents]


def test_possessives_bullets_and_articles_are_trimmed(nlp):
    assert repaired(nlp, "• Russia's army moved.", [("• Russia's", "GPE")]) == [("Russia", "GPE")]
    assert repaired(nlp, "It went to the Kremlin today.", [("the Kremlin", "ORG")]) == [
        ("Kremlin", "ORG")
    ]


def test_hyphenated_korean_given_names_stay_whole(nlp):
    text = "Yoon Suk-yeol spoke."
    assert repaired(nlp, text, [("Yoon Suk", "PERSON")]) == [("Yoon Suk-yeol", "PERSON")]


def test_titles_leave_the_name(nlp):
    assert repaired(nlp, "President Putin spoke.", [("President Putin", "PERSON")]) == [
        ("Putin", "PERSON")
    ]


def test_capitalised_common_nouns_are_not_people(nlp):
    text = "Protesters gathered. Analysts agreed with Ms Moon."
    spans = [("Protesters", "PERSON"), ("Analysts", "PERSON"), ("Moon", "PERSON")]
    assert repaired(nlp, text, spans) == [("Moon", "PERSON")]


def test_title_phrases_are_not_organisations(nlp):
    text = "US Secretary of State Marco Rubio met them."
    spans = [("US", "GPE"), ("State", "ORG"), ("Marco Rubio", "PERSON")]
    assert ("State", "ORG") not in repaired(nlp, text, spans)


def test_knowledge_base_adds_and_relabels(nlp):
    text = "KCNA said Pyongyang would respond."
    got = repaired(nlp, text, [("Pyongyang", "PERSON")])
    assert ("KCNA", "ORG") in got and ("Pyongyang", "GPE") in got


def entities(nlp, text, spans):
    return {e.name: e for e in entities_from_doc(doc_with(nlp, text, spans), KB)}


def test_the_kims_stay_four_people_and_mr_kim_is_the_one_discussed(nlp):
    text = (
        "North Korean leader Kim Jong-un met envoys. Mr Kim said ties were strong. "
        "His grandfather Kim Il-sung founded the state, and his sister Kim Yo-jong spoke. "
        "South Korea's unification minister Kim Yung-ho replied.\n\nKim later left."
    )
    spans = [
        ("North Korean", "NORP"),
        ("Kim Jong-un", "PERSON"),
        ("Kim", "PERSON"),
        ("Kim Il-sung", "PERSON"),
        ("Kim Yo-jong", "PERSON"),
        ("South Korea", "GPE"),
        ("Kim Yung-ho", "PERSON"),
        ("Kim", "PERSON"),
    ]
    found = entities(nlp, text, spans)
    people = {n for n, e in found.items() if e.type == "PERSON"}
    assert people == {"Kim Jong Un", "Kim Il-sung", "Kim Yo-jong", "Kim Yung-ho"}
    leader = found["Kim Jong Un"]
    assert leader.wikidata == "Q56226" and leader.country == "PRK"
    assert [m.text for m in leader.mentions] == ["Kim Jong-un", "Kim", "Kim"]
    assert leader.roles == ["North Korean leader"]
    assert found["Kim Yung-ho"].country == "KOR"
    assert found["Kim Yung-ho"].roles == ["South Korea's unification minister"]


def test_a_bare_name_right_after_a_newcomer_means_the_newcomer(nlp):
    text = (
        "North Korean leader Kim Jong-un spoke. Mr Kim left. "
        "Unification minister Kim Yung-ho then replied. Kim said talks were needed."
    )
    spans = [
        ("North Korean", "NORP"),
        ("Kim Jong-un", "PERSON"),
        ("Kim", "PERSON"),
        ("Kim Yung-ho", "PERSON"),
        ("Kim", "PERSON"),
    ]
    found = entities(nlp, text, spans)
    assert [m.text for m in found["Kim Yung-ho"].mentions] == ["Kim Yung-ho", "Kim"]
    assert [m.text for m in found["Kim Jong Un"].mentions] == ["Kim Jong-un", "Kim"]


def test_a_bare_surname_follows_the_most_recently_introduced_namesake(nlp):
    text = (
        "Lawmaker Lee Seong-kweun spoke first. Later President Lee Jae-myung took office. "
        "Lee vowed to talk. Lee said more."
    )
    spans = [
        ("Lee Seong-kweun", "PERSON"),
        ("Lee Jae-myung", "PERSON"),
        ("Lee", "PERSON"),
        ("Lee", "PERSON"),
    ]
    found = entities(nlp, text, spans)
    assert len(found["Lee Jae-myung"].mentions) == 3
    assert len(found["Lee Seong-kweun"].mentions) == 1


def test_honorific_gender_separates_namesakes(nlp):
    text = "Ms Park Ji-won and Mr Park Min-ho met. Ms Park spoke. Mr Park left."
    spans = [
        ("Park Ji-won", "PERSON"),
        ("Park Min-ho", "PERSON"),
        ("Park", "PERSON"),
        ("Park", "PERSON"),
    ]
    found = entities(nlp, text, spans)
    assert [m.text for m in found["Park Ji-won"].mentions] == ["Park Ji-won", "Park"]
    assert [m.text for m in found["Park Min-ho"].mentions] == ["Park Min-ho", "Park"]


def test_capitals_and_demonyms_carry_their_country(nlp):
    text = "Moscow said Russian troops left. Russia denied it."
    found = entities(nlp, text, [("Moscow", "GPE"), ("Russian", "NORP"), ("Russia", "GPE")])
    assert found["Moscow"].country == found["Russian"].country == found["Russia"].country == "RUS"
    assert found["Moscow"].id != found["Russia"].id


def test_acronyms_join_their_organisation(nlp):
    text = "The Korean Central News Agency reported it. KCNA added more."
    found = entities(nlp, text, [("Korean Central News Agency", "ORG"), ("KCNA", "ORG")])
    assert list(found) == ["Korean Central News Agency"]
    assert len(found["Korean Central News Agency"].mentions) == 2


def test_unknown_entities_get_a_stable_id_from_type_and_name(nlp):
    a = entities(nlp, "Oleg Kozhemyako visited.", [("Oleg Kozhemyako", "PERSON")])
    b = entities(nlp, "Then OLEG KOZHEMYAKO left.", [("OLEG KOZHEMYAKO", "PERSON")])
    expected = stable_id("PERSON", "oleg kozhemyako")
    assert a["Oleg Kozhemyako"].id == b["OLEG KOZHEMYAKO"].id == expected
    assert re.fullmatch(r"nf:person:[0-9a-f]{12}", a["Oleg Kozhemyako"].id)


def test_mentions_index_the_text(nlp):
    text = "Mr Kim met Russian officials in Pyongyang."
    doc = doc_with(nlp, text, [("Kim", "PERSON"), ("Russian", "NORP"), ("Pyongyang", "GPE")])
    for entity in entities_from_doc(doc, KB):
        for m in entity.mentions:
            assert text[m.start : m.end] == m.text


def test_bare_north_and_south_in_one_story_both_merge(nlp):
    # Once 'the North' joins North Korea its cluster is empty; the next bare place must not
    # read that empty cluster (it raised IndexError on a raw seed).
    text = "North Korea fired. South Korea protested. The North boasted. The South objected."
    spans = [
        ("North Korea", "GPE"),
        ("South Korea", "GPE"),
        ("North", "GPE"),
        ("South", "GPE"),
    ]
    found = {e.name: e for e in entities_from_doc(doc_with(nlp, text, spans), KB)}
    assert set(found) == {"North Korea", "South Korea"}
    assert len(found["North Korea"].mentions) == 2
    assert len(found["South Korea"].mentions) == 2

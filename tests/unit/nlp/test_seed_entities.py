"""Entities of the five seeds (read from ../shared/seeds): the ones a reader would list are
there once each with the right country; namesakes stay apart; nothing comes from the noise."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import SEEDS
from workers import state
from workers.clean import clean
from workers.nlp import extract_entities

# seed prefix → (name, type, country) a reader would list
EXPECTED = {
    "000": [
        ("Kim Jong Un", "PERSON", "PRK"),
        ("Vladimir Putin", "PERSON", "RUS"),
        ("Kim Il-sung", "PERSON", "PRK"),
        ("Kim Yung-ho", "PERSON", "KOR"),
        ("Yoon Suk-yeol", "PERSON", "KOR"),
        ("Korean Central News Agency", "ORG", "PRK"),
        ("North Korea", "GPE", "PRK"),
        ("Russia", "GPE", "RUS"),
        ("South Korea", "GPE", "KOR"),
        ("Pyongyang", "GPE", "PRK"),
    ],
    "001": [
        ("Kim Jong Un", "PERSON", "PRK"),
        ("Vladimir Putin", "PERSON", "RUS"),
        ("Korean Central News Agency", "ORG", "PRK"),
        ("Yonhap News Agency", "ORG", "KOR"),
        ("Rodong Sinmun", "ORG", "PRK"),
        ("China", "GPE", "CHN"),
    ],
    "002": [
        ("Kim Jong Un", "PERSON", "PRK"),
        ("Sergei Shoigu", "PERSON", "RUS"),
        ("Lee Jae-myung", "PERSON", "KOR"),
        ("Lee Seong-kweun", "PERSON", "KOR"),
        ("Emmanuel Macron", "PERSON", "FRA"),
        ("Vladimir Putin", "PERSON", "RUS"),
        ("Korean Central News Agency", "ORG", "PRK"),
        ("NATO", "ORG", None),
        ("Moscow", "GPE", "RUS"),
    ],
    "003": [
        ("Kim Jong Un", "PERSON", "PRK"),
        ("Vladimir Putin", "PERSON", "RUS"),
        ("Kim Yo-jong", "PERSON", "PRK"),
        ("Choe Son-hui", "PERSON", "PRK"),
        ("Antony Blinken", "PERSON", "USA"),
        ("TASS", "ORG", "RUS"),
        ("RIA Novosti", "ORG", "RUS"),
        ("United Nations Security Council", "ORG", None),
    ],
    "004": [
        ("Kim Jong Un", "PERSON", "PRK"),
        ("Sergei Shoigu", "PERSON", "RUS"),
        ("Vladimir Putin", "PERSON", "RUS"),
        ("Yoon Suk-yeol", "PERSON", "KOR"),
        ("Oleg Kozhemyako", "PERSON", "RUS"),
        ("RIA Novosti", "ORG", "RUS"),
        ("Korean Central News Agency", "ORG", "PRK"),
    ],
}
# Names that appear only in the noise the cleaner cuts: never entities.
FROM_NOISE = {
    "002": ["Akazawa", "Trump", "Klitschko", "Zelenskyy"],
    "003": ["Netanyahu", "Pelosi", "Liu Bingyong", "Kamala Harris"],
    "001": ["Starmer", "Modi"],
}


@pytest.fixture(scope="module")
def model():
    return state.model()


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_entities(prefix, model):
    if not SEEDS.is_dir() or not list(SEEDS.glob(f"{prefix}_*.txt")):
        pytest.skip("../shared/seeds is absent")
    raw = next(SEEDS.glob(f"{prefix}_*.txt")).read_bytes()
    entities = extract_entities(model, clean(raw).text)
    found = {(e.name, e.type): e for e in entities}
    for name, kind, country in EXPECTED[prefix]:
        assert (name, kind) in found, f"{name} missing"
        assert found[(name, kind)].country == country, name
    repeated = [n for n, k in Counter((e.name, e.type) for e in entities).items() if k > 1]
    assert repeated == [], "one entity per canonical name"
    names = " ".join(m.text for e in entities for m in e.mentions)
    for probe in FROM_NOISE.get(prefix, []):
        assert probe not in names

"""The cleaner's word rarity reads wordfreq's list directly: the same values as wordfreq."""

from __future__ import annotations

import re

from wordfreq import get_frequency_dict, zipf_frequency

from workers.clean.segment import rarity, zipf

_LETTERS = re.compile(r"[a-z]+")


def test_every_lowercase_word_of_the_list_gets_wordfreqs_own_zipf_value():
    words = [w for w in get_frequency_dict("en") if _LETTERS.fullmatch(w)]
    assert len(words) > 100_000
    wrong = [w for w in words if zipf(w) != zipf_frequency(w, "en")]
    assert wrong == []


def test_unknown_and_other_words_too():
    for word in ("qzxvbnmkl", "cocoa", "said", "a", "Cocoa", "naïve", "covid19", "e-mail", ""):
        assert zipf(word) == zipf_frequency(word, "en"), word


def test_rarity_weighs_rare_words_high_and_common_ones_near_zero():
    assert rarity("said") < 1.0 < 3.0 < rarity("cocoa")
    assert rarity("qzxvbnmkl") == 7.0

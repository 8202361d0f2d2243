"""A worker's one-off costs are paid before its first task; backfill batch sizing."""

from __future__ import annotations

from wordfreq import get_frequency_dict

from producers.backfill import batch_size
from schemas.settings import get_settings
from workers.nlp import model as model_module
from workers.warmup import warm_up


def test_warm_up_loads_the_word_list_and_the_model():
    get_frequency_dict.cache_clear()
    warm_up(["clean", "extract"])
    assert get_frequency_dict.cache_info().currsize == 1  # the first clean will not load it
    assert get_settings().spacy_model in model_module._loaded


def test_a_rate_limited_backfill_holds_at_most_a_second_of_articles():
    assert batch_size(16, None) == 16
    assert batch_size(16, 50.0) == 16
    assert batch_size(16, 4.0) == 4
    assert batch_size(16, 0.2) == 1  # slower than one a second: one article per message

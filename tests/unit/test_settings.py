"""One settings object from NEWSFLOW_* variables, with clear errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.settings import DEFAULT_SINK, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in ("NEWSFLOW_REDIS_URL", "NEWSFLOW_SINKS", "NEWSFLOW_ENV"):
        monkeypatch.delenv(key, raising=False)


def test_defaults():
    settings = Settings()
    assert str(settings.redis_url) == "redis://127.0.0.1:6379/0"
    assert settings.sinks == [DEFAULT_SINK]


def test_sinks_are_comma_separated(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_SINKS", "jsonl:///tmp/a.jsonl, memory://b")
    assert Settings().sinks == ["jsonl:///tmp/a.jsonl", "memory://b"]


def test_bad_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_SINKS", "out.jsonl")
    with pytest.raises(ValidationError, match="sinks"):
        Settings()
    monkeypatch.setenv("NEWSFLOW_SINKS", DEFAULT_SINK)
    monkeypatch.setenv("NEWSFLOW_REDIS_URL", "http://nope")
    with pytest.raises(ValidationError, match="redis_url"):
        Settings()


def test_production_refuses_a_loopback_redis(monkeypatch):
    monkeypatch.setenv("NEWSFLOW_ENV", "production")
    with pytest.raises(ValidationError, match="loopback"):
        Settings()
    monkeypatch.setenv("NEWSFLOW_REDIS_URL", "redis://redis.internal:6379/0")
    assert Settings().env == "production"

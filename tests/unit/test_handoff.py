"""Which stages a worker runs itself (workers/handoff.py), and the task-event switch."""

from __future__ import annotations

import pytest

from schemas import names
from schemas.celery_config import celery_config
from schemas.settings import Settings, get_settings
from workers import handoff


@pytest.fixture(autouse=True)
def _settings(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("NEWSFLOW_LOCAL_HANDOFF", raising=False)
    monkeypatch.delenv("NEWSFLOW_TASK_EVENTS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_next_cpu_stage_runs_here_when_this_worker_consumes_its_queue(monkeypatch):
    monkeypatch.setenv(handoff.QUEUES_ENV, "clean,extract")
    assert handoff.runs_here(names.TASK_EXTRACT)
    assert not handoff.runs_here(names.TASK_PUBLISH)  # another worker's queue


def test_network_stages_and_clean_are_always_sent(monkeypatch):
    monkeypatch.setenv(handoff.QUEUES_ENV, ",".join(names.ALL_QUEUES))
    for task in (names.TASK_CLEAN, names.TASK_FETCH, names.TASK_CALLBACK):
        assert not handoff.runs_here(task), task
    assert handoff.runs_here(names.TASK_PUBLISH)


def test_switched_off_or_outside_a_newsflow_worker_everything_is_sent(monkeypatch):
    monkeypatch.delenv(handoff.QUEUES_ENV, raising=False)
    assert not handoff.runs_here(names.TASK_EXTRACT)  # not started by `newsflow worker`
    monkeypatch.setenv(handoff.QUEUES_ENV, "clean,extract,publish")
    monkeypatch.setenv("NEWSFLOW_LOCAL_HANDOFF", "false")
    get_settings.cache_clear()
    assert not handoff.runs_here(names.TASK_EXTRACT)


def test_task_events_are_off_unless_asked_for(monkeypatch):
    config = celery_config(Settings())
    assert config["worker_send_task_events"] is False
    assert config["task_send_sent_event"] is False
    monkeypatch.setenv("NEWSFLOW_TASK_EVENTS", "true")
    config = celery_config(Settings())
    assert config["worker_send_task_events"] is True
    assert config["task_send_sent_event"] is True

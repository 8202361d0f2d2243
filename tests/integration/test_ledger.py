"""The ledger's books against the real Redis: atomic, idempotent, balanced."""

from __future__ import annotations

import uuid

import pytest

from schemas.ledger import Ledger

pytestmark = pytest.mark.integration


def test_claim_finish_and_duplicates_balance(redis_client):
    ledger = Ledger(redis_client)
    run = f"test-{uuid.uuid4().hex}"
    a, b = uuid.uuid4().hex * 2, uuid.uuid4().hex * 2
    assert ledger.claim(a, run) is True
    assert ledger.claim(a, run) is False  # queued already: a duplicate
    assert ledger.claim(b, run) is True
    assert ledger.finish(a, run, "published", stage="publish") is True
    assert ledger.finish(a, run, "published", stage="publish") is False  # redelivery
    ledger.dead_letter(article_id=b, run_id=run, stage="clean", reason="empty", error="x")
    ledger.mark_producing_done(run)
    counts = ledger.run(run)
    assert (counts.inbound, counts.queued, counts.duplicates) == (3, 2, 1)
    assert (counts.published, counts.failed) == (1, 1)
    assert counts.drained
    assert counts.inbound == counts.published + counts.duplicates + counts.failed


def test_a_failed_article_may_be_submitted_again_and_force_overrides(redis_client):
    ledger = Ledger(redis_client)
    run1, run2 = f"r1-{uuid.uuid4().hex}", f"r2-{uuid.uuid4().hex}"
    a = uuid.uuid4().hex * 2
    assert ledger.claim(a, run1)
    ledger.finish(a, run1, "failed", stage="clean", reason="empty")
    assert ledger.claim(a, run2)  # failed before: not a duplicate
    ledger.finish(a, run2, "published", stage="publish")
    assert not ledger.claim(a, run2)
    assert ledger.claim(a, run2, force=True)


def test_unclaim_undoes_a_claim_whose_task_was_never_sent(redis_client):
    ledger = Ledger(redis_client)
    run = f"u-{uuid.uuid4().hex}"
    a = uuid.uuid4().hex * 2
    assert ledger.claim(a, run)
    ledger.unclaim(a, run)
    assert ledger.status(a) == {}
    assert ledger.run(run).queued == 0
    assert ledger.claim(a, run)

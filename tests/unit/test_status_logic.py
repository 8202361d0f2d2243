"""Pure arithmetic of `newsflow status`: a run's books, totals, and what is printed."""

from __future__ import annotations

import json

from producers.status import QueueDepth, RunBooks, Status, Totals, unacked_queue
from schemas.ledger import RunCounts


def books(**counts: object) -> RunBooks:
    return RunBooks("backfill-1", RunCounts(**counts))  # type: ignore[arg-type]


def test_a_finished_run_balances():
    run = books(inbound=10, queued=9, duplicates=1, published=7, failed=2, producing_done=True)
    assert (run.pending, run.finished, run.balanced) == (0, True, True)
    assert run.line() == (
        "run backfill-1: in 10 = published 7 + duplicates 1 + dead-lettered 2 — balanced, finished"
    )


def test_a_running_run_counts_its_pending_articles():
    run = books(inbound=10, queued=10, published=4, failed=1)
    assert (run.pending, run.finished, run.balanced) == (5, False, True)
    assert run.line().endswith("+ pending 5 — producing")
    done = books(inbound=10, queued=10, published=4, failed=1, producing_done=True)
    assert done.line(broker_idle=False).endswith("— draining")
    assert "STALLED: 5 pending" in done.line(broker_idle=True)


def test_books_that_do_not_add_up_say_so():
    twice = books(inbound=3, queued=3, published=4, producing_done=True)  # settled twice
    assert not twice.balanced and twice.pending == -1
    assert twice.line().startswith("run backfill-1: UNBALANCED: in 3 ≠ published 4")
    assert "(-1 unaccounted for)" in twice.line()
    lost_count = books(inbound=5, queued=3, duplicates=1, published=3, producing_done=True)
    assert not lost_count.balanced
    assert "(+1 unaccounted for)" in lost_count.line()


def test_an_unknown_run_is_named():
    run = RunBooks("backfill-x", RunCounts(), exists=False)
    assert run.line() == "run backfill-x: no such run in the ledger"
    assert run.to_json()["exists"] is False


def test_totals_pending_is_what_has_not_settled():
    assert Totals(inbound=10, published=6, duplicates=1, failed=2).pending == 1


def test_unacked_entries_name_their_queue():
    assert unacked_queue(json.dumps([{"body": "x"}, "extract", "extract"])) == "extract"
    assert unacked_queue(b"garbage") is None and unacked_queue(json.dumps({"a": 1})) is None


def test_the_snapshot_prints_queues_totals_and_the_run():
    queues = [
        QueueDepth("clean", {0: 2, 3: 0, 6: 0, 9: 5}, in_flight=1),
        QueueDepth("extract", {0: 0, 3: 0, 6: 0, 9: 0}, in_flight=0),
    ]
    run = books(inbound=8, queued=8, published=1, producing_done=True)
    snap = Status(queues, 2, Totals(8, 1, 0, 0), 3, ["w1@h", "w0@h"], run, at=0.0)
    lines = snap.lines()
    rows = [line.split() for line in lines]
    assert ["clean", "7", "1"] in rows
    assert ["(other)", "1"] in rows  # held messages of queues not listed
    assert ["all", "7", "2"] in rows
    assert "totals: in 8, published 1, duplicates 0, failed 0, pending 7" in lines
    assert "dead-letter stream: 3 entries (`newsflow dlq list`)" in lines
    assert "workers: 2 (w0@h, w1@h)" in lines
    assert lines[-1].endswith("pending 7 — draining")  # messages still wait: not stalled
    data = snap.to_json()
    assert data["queues"]["clean"] == {
        "waiting": 7,
        "in_flight": 1,
        "by_priority": {"0": 2, "3": 0, "6": 0, "9": 5},
    }
    assert (data["waiting"], data["in_flight"], data["dead_letters"]) == (7, 2, 3)
    assert data["run"]["pending"] == 7 and data["run"]["balanced"] is True
    idle = Status([QueueDepth("clean", {0: 0})], 0, Totals(), 0, None, run, at=0.0)
    assert "STALLED" in idle.lines()[-1] and idle.to_json()["workers"] is None

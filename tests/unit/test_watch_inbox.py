"""The inbox watcher's pure logic: which files are taken, when they have settled, and moves."""

from __future__ import annotations

import base64
import json
import os

import pytest

from producers.broker_probe import mentions
from producers.inbox import (
    FileSignature,
    Inbox,
    Intent,
    SettleTracker,
    content_type_of,
    is_candidate,
    stable_for,
    unique_name,
)
from schemas import names

NOW_WALL = 1_800_000_000.0


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("story.txt", True),
        ("story", True),
        ("Story.HTML", True),
        ("a.b.json", True),
        (".hidden.txt", False),
        (".newsflow-watch.lock", False),
        ("story.txt.part", False),
        ("story.PART", False),
        ("story.tmp", False),
        ("download.crdownload", False),
        ("story.txt~", False),
    ],
)
def test_only_complete_names_are_candidates(name, taken):
    assert is_candidate(name) is taken


def test_json_files_are_declared_json_so_a_broken_envelope_fails():
    assert content_type_of("a.json") == "application/json"
    assert content_type_of("a.HTM") == "text/html"
    assert content_type_of("a.txt") == "text/plain"
    assert content_type_of("a.eml") is None


def sig(size=10, mtime=NOW_WALL, inode=1) -> FileSignature:
    return FileSignature(size=size, mtime_ns=int(mtime * 1e9), inode=inode)


def test_stable_for_takes_the_longer_of_observation_and_mtime_age():
    assert stable_for(sig(mtime=NOW_WALL - 0.5), 100.0, 103.0, NOW_WALL) == pytest.approx(3.0)
    assert stable_for(sig(mtime=NOW_WALL - 9.0), 100.0, 101.0, NOW_WALL) == pytest.approx(9.0)


def test_a_file_being_written_never_settles_until_it_stops_changing():
    tracker = SettleTracker(settle_seconds=1.0)
    t = 100.0
    # A writer appends every 0.4 s for 4 s: each write moves the size and the mtime.
    for step in range(10):
        wall = NOW_WALL + step * 0.4
        assert not tracker.observe("slow.txt", sig(size=step + 1, mtime=wall), t, wall)
        t += 0.4
    final = sig(size=10, mtime=NOW_WALL + 3.6)
    assert not tracker.observe("slow.txt", final, t, NOW_WALL + 3.7)
    assert tracker.observe("slow.txt", final, t + 1.0, NOW_WALL + 4.7)


def test_same_size_rewrite_resets_the_clock_and_mtime_in_future_needs_observation():
    tracker = SettleTracker(settle_seconds=2.0)
    future = NOW_WALL + 3600  # clock skew: the mtime age says nothing, observation decides
    assert not tracker.observe("f", sig(mtime=future), 10.0, NOW_WALL)
    assert not tracker.observe("f", sig(mtime=future), 11.0, NOW_WALL + 1)
    assert not tracker.observe("f", sig(mtime=future + 1), 11.5, NOW_WALL + 1.5)  # rewritten
    assert not tracker.observe("f", sig(mtime=future + 1), 13.0, NOW_WALL + 3)
    assert tracker.observe("f", sig(mtime=future + 1), 13.5, NOW_WALL + 3.5)


def test_a_file_replaced_by_rename_is_a_new_file():
    tracker = SettleTracker(settle_seconds=1.0)
    old = NOW_WALL - 60
    assert tracker.observe("f", sig(inode=1, mtime=old), 0.0, NOW_WALL)
    assert not tracker.observe("f", sig(inode=2, mtime=NOW_WALL), 0.5, NOW_WALL + 0.5)


def test_quiet_files_are_taken_at_first_sight_and_settle_zero_takes_everything():
    assert SettleTracker(2.0).observe("old", sig(mtime=NOW_WALL - 5), 0.0, NOW_WALL)
    assert SettleTracker(0.0).observe("new", sig(mtime=NOW_WALL), 0.0, NOW_WALL)


def test_tracker_forgets_files_that_are_gone():
    tracker = SettleTracker(1.0)
    tracker.observe("a", sig(), 0.0, NOW_WALL)
    tracker.observe("b", sig(), 0.0, NOW_WALL)
    tracker.keep_only({"b"})
    assert len(tracker) == 1


def test_unique_name_ignores_a_leftover_reason(tmp_path):
    assert unique_name(tmp_path, "a.txt") == "a.txt"
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "a~1.txt").write_text("x")
    (tmp_path / "a~2.txt.reason").write_text("{}")  # left by a crash before the move
    assert unique_name(tmp_path, "a.txt") == "a~2.txt"
    (tmp_path / "noext").write_text("x")
    assert unique_name(tmp_path, "noext") == "noext~1"


@pytest.fixture
def inbox(tmp_path) -> Inbox:
    box = Inbox(tmp_path / "in")
    box.root.mkdir()
    box.prepare()
    return box


def test_prepare_refuses_a_missing_inbox(tmp_path):
    with pytest.raises(FileNotFoundError, match="create it first"):
        Inbox(tmp_path / "typo").prepare()


def test_scan_lists_candidate_regular_files_only(inbox, tmp_path):
    (inbox.root / "a.txt").write_text("a")
    (inbox.root / "b.txt.part").write_text("b")
    (inbox.root / ".c.txt").write_text("c")
    (inbox.root / "sub").mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", inbox.root / "link.txt")
    assert sorted(e.name for e in inbox.scan()) == ["a.txt"]  # nor processing/, done/, failed/


def test_claim_done_and_failed_moves(inbox):
    (inbox.root / "a.txt").write_text("first")
    inbox.claim("a.txt", "a.txt")
    assert not (inbox.root / "a.txt").exists()
    assert inbox.in_processing() == ["a.txt"]
    with pytest.raises(FileNotFoundError):
        inbox.claim("a.txt", "a.txt")
    assert inbox.to_done("a.txt") == "a.txt"
    (inbox.root / "a.txt").write_text("second, same name")
    inbox.claim("a.txt", "a.txt")
    assert inbox.to_done("a.txt") == "a~1.txt"
    assert (inbox.done / "a~1.txt").read_text() == "second, same name"

    (inbox.root / "bad.json").write_text("{nope")
    inbox.claim("bad.json", "bad.json")
    reason = {"reason": "malformed_envelope", "error": "does not parse"}
    assert inbox.to_failed("bad.json", reason) == "bad.json"
    assert json.loads((inbox.failed / "bad.json.reason").read_text()) == reason
    assert inbox.in_processing() == []
    assert [p.name for p in inbox.failed.iterdir()] == sorted(["bad.json", "bad.json.reason"])


def test_intent_round_trip(inbox):
    assert inbox.read_intent() is None
    inbox.write_intent(Intent("a.txt", "watch-1"))
    assert inbox.read_intent() == Intent("a.txt", "watch-1")
    assert inbox.in_processing() == []  # the intent file is not a claimed file
    (inbox.processing / ".intent.json").write_text("[1, 2]")
    assert inbox.read_intent() is None
    inbox.clear_intent()
    inbox.clear_intent()
    assert inbox.read_intent() is None


def test_one_watcher_per_inbox(inbox):
    inbox.lock()
    other = Inbox(inbox.root)
    with pytest.raises(BlockingIOError):
        other.lock()
    inbox.unlock()
    other.lock()
    other.unlock()


def test_broker_probe_finds_the_article_in_a_kombu_message():
    article_id = "ab" * 32
    body = base64.b64encode(json.dumps([[{"article_id": article_id}], {}, {}]).encode())
    message = {"body": body.decode(), "headers": {"argsrepr": "[{...}]"}}
    assert mentions(json.dumps(message).encode(), article_id)
    assert mentions(json.dumps([message, "", "clean"]).encode(), article_id)  # unacked entry
    assert mentions(f"argsrepr: {article_id}".encode(), article_id)
    assert not mentions(json.dumps(message).encode(), "cd" * 32)
    assert not mentions(b"\x00not json", article_id)
    assert not mentions(json.dumps({"body": "%%%"}).encode(), article_id)
    assert names.queue_keys("clean") == [
        "clean",
        "clean\x06\x163",
        "clean\x06\x166",
        "clean\x06\x169",
    ]

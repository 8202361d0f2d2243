"""`newsflow watch` as a real subprocess, against the test Redis and a real worker."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import redis
from celery import Celery

from producers.broker_probe import task_in_broker
from producers.enqueue import Enqueuer
from producers.inbox import Inbox, Intent
from schemas import names
from schemas.article import Source, SourceKind
from schemas.celery_config import celery_config
from schemas.ledger import Ledger
from schemas.settings import Settings
from tests.conftest import ROOT
from tests.integration.conftest import service_env, stop_consuming

pytestmark = pytest.mark.integration

CITIES = ["Lisbon", "Nairobi", "Hanoi", "Quito", "Tbilisi", "Accra", "Oslo", "Manila", "Lima"]
GROUPS = [
    ("port workers", "a new shift pattern"),
    ("bus drivers", "higher night pay"),
    ("nurses", "smaller wards"),
    ("teachers", "a delayed pay rise"),
    ("pilots", "longer rest periods"),
]


def article_text(i: int) -> str:
    """A short story of our own; the number makes every one unique (no duplicates)."""
    city = CITIES[i % len(CITIES)]
    group, demand = GROUPS[(i // len(CITIES)) % len(GROUPS)]
    return (
        f"{group.capitalize()} in {city} began a two-day strike on Monday over {demand}, "
        f"union officials said.\n\nThe city council said talks would resume on Thursday and "
        f"that {120 + i} services had been cancelled so far.\n\nResidents queued outside the "
        "central station while the mayor asked people to travel only if they had to.\n"
    )


def good_file(i: int) -> tuple[str, bytes]:
    """Article i as plain text, HTML or a JSON envelope."""
    text = article_text(i)
    if i % 3 == 0:
        return f"story-{i:03d}.txt", text.encode()
    if i % 3 == 1:
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        html = f"<html><head><title>Strike {i}</title></head><body><article>{paragraphs}"
        return f"story-{i:03d}.html", (html + "</article></body></html>").encode()
    return f"story-{i:03d}.json", json.dumps({"text": text, "title": f"Strike {i}"}).encode()


def bad_files(rng: random.Random) -> dict[str, tuple[bytes, str]]:
    """Malformed inputs: name → (bytes, the reason code they must be failed with)."""
    bad: dict[str, tuple[bytes, str]] = {}
    for i in range(30):
        bad[f"empty-{i:02d}.txt"] = (b"" if i % 2 else b"  \n\t\n", "empty")
    for i in range(30):
        junk = bytes(rng.randrange(256) for _ in range(300))
        bad[f"image-{i:02d}.txt"] = (b"\x89PNG\r\n\x1a\n" + junk, "binary")
    for i in range(20):
        bad[f"nul-{i:02d}.txt"] = (f"report {i}\x00".encode() * 40, "binary")
    for i in range(30):
        bad[f"broken-{i:02d}.json"] = (f'{{"text": "cut off {i}'.encode(), "malformed_envelope")
    for i in range(10):
        body = json.dumps({"title": f"no body {i}", "outlet": "Nowhere"}).encode()
        bad[f"nobody-{i:02d}.json"] = (body, "malformed_envelope")
    return bad


class Watch:
    """A real `newsflow watch` subprocess, its log in a file."""

    started: ClassVar[list[Watch]] = []  # killed at teardown if a test failed midway

    def __init__(self, redis_url: str, inbox: Path, log_path: Path, *args: str) -> None:
        Watch.started.append(self)
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "producers.cli", "watch", str(inbox), *args],
            cwd=ROOT,
            env=service_env(redis_url),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def events(self, name: str) -> list[dict]:
        rows = []
        for line in self.log().splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                row = json.loads(line)
                if row.get("event") == name:
                    rows.append(row)
        return rows

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self._log.close()


@pytest.fixture(autouse=True)
def _no_watcher_left_behind() -> Iterator[None]:
    yield
    while Watch.started:
        watch = Watch.started.pop()
        if watch.proc.poll() is None:
            watch.kill()


def names_in(folder: Path) -> set[str]:
    if not folder.is_dir():  # the watcher creates its folders when it starts
        return set()
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


def settled_count(inbox: Path) -> int:
    failed = {n for n in names_in(inbox / "failed") if not n.endswith(".reason")}
    return len(names_in(inbox / "done")) + len(failed)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def record_counts(out: Path) -> Counter[str]:
    if not out.exists():
        return Counter()
    return Counter(json.loads(line)["article_id"] for line in out.read_text().splitlines())


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_500_files_partial_and_malformed_survive_two_sigkills(redis_url, worker, inbox, tmp_path):
    out = tmp_path / "out.jsonl"
    sink = f"jsonl://{out}"
    fast = ("--poll", "0.1", "--settle", "1.0", "--sink", sink)
    rng = random.Random(6)
    good = dict(good_file(i) for i in range(380))
    bad = bad_files(rng)
    assert len(good) + len(bad) == 500
    slow_in_place = sorted(good)[:20]  # written in pieces, never pausing as long as --settle
    via_part = sorted(good)[20:40]  # written as NAME.part with a long stall, then renamed
    direct = [n for n in sorted({**good, **bad}) if n not in {*slow_in_place, *via_part}]
    rng.shuffle(direct)
    content = {**good, **{name: data for name, (data, _) in bad.items()}}

    def write_slowly(name: str) -> None:
        data, path = content[name], inbox / name
        with path.open("wb") as handle:
            for k in range(8):
                handle.write(data[k * len(data) // 8 : (k + 1) * len(data) // 8])
                handle.flush()
                time.sleep(0.3)

    def write_via_part(name: str) -> None:
        data, part = content[name], inbox / f"{name}.part"
        with part.open("wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            time.sleep(1.6)  # longer than --settle: only the name keeps it from being taken
            handle.write(data[len(data) // 2 :])
        part.rename(inbox / name)

    (inbox / ".hidden.txt").write_text("not for us")
    (inbox / "never-finished.txt.part").write_text("a writer that died")

    began = time.monotonic()
    first = Watch(redis_url, inbox, tmp_path / "watch-1.log", *fast, "--max-in-flight", "40")
    wait_until(lambda: bool(first.events("watcher_recovered")), 30, "the watcher to start")
    writers = [threading.Thread(target=write_slowly, args=(n,)) for n in slow_in_place] + [
        threading.Thread(target=write_via_part, args=(n,)) for n in via_part
    ]
    for thread in writers:
        thread.start()
    # The partial files have the watcher to themselves for a moment: nothing else to claim.
    time.sleep(0.5)
    for name in direct[:250]:
        (inbox / name).write_bytes(content[name])

    # Kill the first watcher mid-stream: files waiting in the inbox and in processing/.
    wait_until(lambda: settled_count(inbox) >= 60, 120, "60 files settled by the first watcher")
    first.kill()
    in_inbox = [n for n in names_in(inbox) if n in content]
    in_processing = names_in(inbox / "processing")
    assert in_inbox and in_processing, "the kill was not midway"

    for name in direct[250:]:
        (inbox / name).write_bytes(content[name])
    second = Watch(redis_url, inbox, tmp_path / "watch-2.log", *fast)
    wait_until(lambda: settled_count(inbox) >= 250, 120, "250 files settled")
    second.kill()
    assert second.events("watcher_recovered")[0]["pending"] >= 1
    second_left = len(names_in(inbox / "processing"))

    for thread in writers:
        thread.join()
    started = time.monotonic()
    last = Watch(redis_url, inbox, tmp_path / "watch-3.log", *fast, "--once")
    code = last.wait(180)
    drain_seconds = time.monotonic() - started
    summary = last.events("watcher_stopped")
    assert summary, last.log()[-3000:]
    assert code == (1 if summary[0]["failed"] else 0)  # --once: 1 when it filed failures

    # Every good file in done/, complete; every bad one in failed/ with its reason.
    assert names_in(inbox / "done") == set(good)
    for name, data in good.items():
        assert (inbox / "done" / name).read_bytes() == data, f"{name} was taken incomplete"
    failed = names_in(inbox / "failed")
    assert failed == set(bad) | {f"{name}.reason" for name in bad}
    for name, (data, reason) in bad.items():
        why = json.loads((inbox / "failed" / f"{name}.reason").read_text())
        assert why["reason"] == reason, (name, why)
        assert why["file"] == name and why["article_id"] == sha(data) and why["error"]
        assert why["stage"] in {"enqueue", "clean"}
    assert names_in(inbox / "processing") == set()
    assert not (inbox / "processing" / ".intent.json").exists()
    assert names_in(inbox) == {"processing", "done", "failed", "never-finished.txt.part"}
    assert (inbox / ".hidden.txt").read_text() == "not for us"

    # Exactly one record per good file, and none for a bad one.
    records = record_counts(out)
    assert records == Counter({sha(data): 1 for data in good.values()})
    sources = {json.loads(line)["source"]["kind"] for line in out.read_text().splitlines()}
    assert sources == {"watch"}
    print(
        f"\nwatch 500 files in {time.monotonic() - began:.1f}s: first kill left "
        f"{len(in_inbox)} in the inbox and {len(in_processing)} in processing/, the second "
        f"{second_left} in processing/; the last watcher drained in {drain_seconds:.1f}s"
    )


def test_sigterm_stops_gracefully_and_nothing_is_lost(redis_url, worker, inbox, tmp_path):
    out = tmp_path / "out.jsonl"
    args = ("--poll", "0.1", "--settle", "0", "--sink", f"jsonl://{out}")
    files = dict(good_file(1000 + i) for i in range(40))
    running = Watch(redis_url, inbox, tmp_path / "watch-1.log", *args, "--max-in-flight", "5")
    wait_until(lambda: bool(running.events("watcher_recovered")), 30, "the watcher to start")

    rival = newsflow_watch(redis_url, inbox, "--once")
    assert rival.returncode == 2 and "one watcher per inbox" in rival.stderr

    for name, data in files.items():
        (inbox / name).write_bytes(data)
    wait_until(lambda: len(names_in(inbox / "done")) >= 3, 60, "a few files done")
    running.proc.send_signal(signal.SIGTERM)
    assert running.wait(15) == 0
    assert running.events("watcher_stopped")
    everywhere = names_in(inbox) | names_in(inbox / "processing") | names_in(inbox / "done")
    assert set(files) <= everywhere, "a file vanished"
    assert names_in(inbox) - {"processing", "done", "failed"}, "SIGTERM came too late to test"

    drained = newsflow_watch(redis_url, inbox, *args, "--once")
    assert drained.returncode == 0, drained.stderr
    assert names_in(inbox / "done") == set(files)
    assert record_counts(out) == Counter({sha(data): 1 for data in files.values()})


def newsflow_watch(redis_url: str, inbox: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "producers.cli", "watch", str(inbox), *args],
        cwd=ROOT,
        env=service_env(redis_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def crashed_mid_submit(redis_url: str, inbox: Path, name: str, data: bytes, *, sent: bool) -> str:
    """Leave the state of a watcher killed inside `Enqueuer.submit`: file claimed, intent
    written, ledger claimed; the task sent or not."""
    dead = Inbox(inbox)
    dead.prepare()
    run_id = f"watch-dead-{name}"
    (inbox / "processing" / name).write_bytes(data)
    dead.write_intent(Intent(name, run_id))
    enqueuer = Enqueuer(Settings(redis_url=redis_url), run_id)
    source = Source(kind=SourceKind.WATCH, path=str(inbox / name))
    if sent:
        assert enqueuer.submit(data, source).status == "queued"
    else:
        assert enqueuer.ledger.claim(sha(data), run_id)
    return run_id


def test_a_claim_whose_task_never_went_out_is_sent_after_restart(
    redis_url, redis_client, worker, inbox, tmp_path
):
    out = tmp_path / "out.jsonl"
    name, data = good_file(2000)
    run_id = crashed_mid_submit(redis_url, inbox, name, data, sent=False)

    result = newsflow_watch(redis_url, inbox, "--sink", f"jsonl://{out}", "--once")
    assert result.returncode == 0, result.stderr
    assert '"claim_undone"' in result.stderr
    assert names_in(inbox / "done") == {name}
    assert record_counts(out) == Counter({sha(data): 1})
    books = Ledger(redis_client).run(run_id)
    assert (books.inbound, books.queued) == (0, 0)  # the dead run's claim was taken back


def test_a_submit_that_went_out_is_not_sent_again(redis_url, worker, inbox, tmp_path):
    out = tmp_path / "out.jsonl"
    name, data = good_file(2001)
    control = Celery("watch-test-control", set_as_current=False)
    control.conf.update(celery_config(Settings(redis_url=redis_url)))
    # Hold the task in the broker while the watcher decides: the worker stops taking `clean`.
    stop_consuming(control, names.QUEUE_CLEAN, limit=1)
    try:
        crashed_mid_submit(redis_url, inbox, name, data, sent=True)
        assert task_in_broker(redis.Redis.from_url(redis_url), sha(data))
        watch = Watch(
            redis_url, inbox, tmp_path / "watch.log", "--poll", "0.1", "--sink", f"jsonl://{out}"
        )
        wait_until(lambda: bool(watch.events("doubt_resolved")), 30, "the doubt resolved")
        assert watch.events("doubt_resolved")[0]["outcome"] == "task_was_sent"
        assert not watch.events("claim_undone")
    finally:
        assert control.control.add_consumer(names.QUEUE_CLEAN, reply=True, limit=1, timeout=10)
    wait_until(lambda: names_in(inbox / "done") == {name}, 60, "the file done")
    watch.proc.send_signal(signal.SIGTERM)
    assert watch.wait(15) == 0
    # The task that went out carries no sink (the worker's default); a resend by this
    # watcher would have written a record to ours.
    assert record_counts(out) == Counter()
    default = Path(worker.log_path).parent / "default.jsonl"
    assert record_counts(default)[sha(data)] == 1


def test_broker_probe_sees_a_waiting_task(redis_url):
    client = Celery("probe-test", set_as_current=False)
    client.conf.update(celery_config(Settings(redis_url=redis_url)))
    article_id = sha(b"probe")
    queue = "watch-probe-test"  # consumed by no worker
    client.send_task("newsflow.clean", args=[{"article_id": article_id}], queue=queue)
    plain = redis.Redis.from_url(redis_url)
    assert task_in_broker(plain, article_id, queue=queue)
    assert not task_in_broker(plain, sha(b"other"), queue=queue)
    plain.delete(queue)

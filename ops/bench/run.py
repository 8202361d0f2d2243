"""newsflow against the model's own limit, in one run on the same cores; prints one table.

    python ops/bench/run.py                      # 1,000 articles, 4 rounds (~10 min on 2 cores)
    python ops/bench/run.py --articles 10000 --rounds 1 --skip scaling,latency
    python ops/bench/run.py --quick              # 200 articles, 2 rounds, 50 latency samples
    python ops/bench/run.py --profile /tmp/w.raw # + py-spy shares of the worker's time
    python ops/bench/run.py --baseline-tree /tmp/before   # + another source tree's (b)

Corpus: BBC news stories (../shared/benchmarks/raw_news/bbc) wrapped in scraped-page noise by
ops/noise.py, written as JSON Lines to a temporary folder (never committed). Everything runs
against one Redis database (`--redis`, flushed before every run; never db 0), with real
`newsflow backfill`, `newsflow serve` and `newsflow worker` processes. ops/bench/README.md
describes every figure.

1. throughput, per slice of the corpus, in ABBA order: (b) backfill → Redis → one worker on
   clean,extract,publish with P processes → JSONL, from the backfill's start until the ledger
   says the run is drained; (a) `spacy.load(settings.spacy_model)` and
   `nlp.pipe(texts, n_process=P)` over the same cleaned texts. Printed: b/a, pooled.
2. scaling: the extract queue filled by a clean-only worker, then drained by an extract-only
   worker with 1 and 2 processes, runs 1 2 2 1 (publish afterwards, so it takes no CPU).
3. latency: `newsflow serve` + an idle worker; one 600-800-word article POSTed at a time,
   timed until its record is in the JSONL sink.
4. memory: peak RSS of every worker process (psutil over the process tree) and of the
   backfill producer, with the producer's RSS at 10% and at the end of the articles sent.
5. loss: every run's ledger books: in = published + duplicates + failed (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

import httpx
import psutil
import redis

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]  # ops/ (noise.py), the repository

from corpus import read_stories, sized_texts, write_jsonl  # noqa: E402
from procs import (  # noqa: E402
    ROOT,
    RssSampler,
    Service,
    articles_waiting,
    queue_depth,
    start_backfill,
    start_webhook,
    start_worker,
)
from worker_profile import Profiler, report  # noqa: E402

from schemas import names  # noqa: E402
from schemas.ledger import Ledger, RunCounts  # noqa: E402

MB = 1024 * 1024
STAGE_QUEUES = "clean,extract,publish"


@dataclass
class Books:
    """One run's ledger counts, and whether they balance."""

    label: str
    counts: RunCounts

    @property
    def balanced(self) -> bool:
        """in = published + duplicates + failed."""
        c = self.counts
        return c.inbound == c.published + c.duplicates + c.failed

    def row(self) -> str:
        """One line of the loss table."""
        c = self.counts
        verdict = "ok" if self.balanced else "MISMATCH"
        return (
            f"  {self.label:34} in {c.inbound:6}  published {c.published:6}  "
            f"duplicates {c.duplicates:3}  failed {c.failed:3}  {verdict}"
        )


@dataclass
class Bench:
    """Shared state of one benchmark run."""

    redis_url: str
    tmp: Path
    processes: int
    env: dict[str, str] = field(default_factory=dict)  # extra NEWSFLOW_* for every process
    books: list[Books] = field(default_factory=list)
    worker_peaks: dict[str, int] = field(default_factory=dict)  # run label → bytes

    @property
    def client(self) -> redis.Redis:
        """A client of the benchmark's database."""
        return redis.Redis.from_url(self.redis_url)

    def fresh(self) -> Ledger:
        """Empty the benchmark's database; the ledger over it."""
        client = self.client
        client.flushdb()
        return Ledger(client)


def only_run(ledger_client: redis.Redis, timeout: float = 60) -> str:
    """The id of the one run in a freshly flushed database, once its producer created it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = list(ledger_client.scan_iter(match=names.run_key("*")))
        if keys:
            if len(keys) > 1:
                raise SystemExit(f"expected one run, found {keys}")
            return keys[0].decode().removeprefix(names.run_key(""))
        time.sleep(0.05)
    raise SystemExit("no run appeared in the ledger")


# 1. throughput -----------------------------------------------------------------------------


@dataclass
class Pipeline:
    """What one end-to-end run measured."""

    articles: int
    seconds: float
    texts: list[str]
    producer_rss: list[tuple[int, int]]  # (articles counted in, producer RSS bytes)
    producer_peak: int
    worker_peak: int
    cpu_seconds: float  # worker tree (from ready to drained) + the backfill process

    @property
    def rate(self) -> float:
        """Articles published per second."""
        return self.articles / self.seconds


def run_pipeline(
    bench: Bench,
    corpus: Path,
    count: int,
    label: str,
    root: Path,
    profile_to: Path | None = None,
    env: dict[str, str] | None = None,
) -> Pipeline:
    """backfill → Redis → worker (clean, extract, publish; P processes) → JSONL, timed.

    With `profile_to`, py-spy samples the worker's process tree over the run (it costs the
    worker a little: profile a round whose figures you do not need).
    """
    env = bench.env if env is None else env
    ledger = bench.fresh()
    sink = bench.tmp / f"{label}.jsonl"
    sampler = RssSampler()
    worker = start_worker(
        bench.redis_url,
        bench.tmp / f"{label}-worker.log",
        STAGE_QUEUES,
        bench.processes,
        f"jsonl://{sink}",
        root=root,
        env=env,
    )
    try:
        sampler.watch("worker", worker.pid)
        sampler.start()
        profiler = Profiler(worker.pid, profile_to) if profile_to else None
        cpu_before = tree_cpu(worker.pid)
        reaped_before = children_cpu()
        started = time.perf_counter()
        backfill = start_backfill(
            bench.redis_url, corpus, bench.tmp / f"{label}-backfill.log", root=root, env=env
        )
        sampler.watch("producer", backfill.pid)
        run_id = only_run(ledger._r)
        producer = psutil.Process(backfill.pid)
        rss: list[tuple[int, int]] = []
        while True:
            counts = ledger.run(run_id)
            if backfill.proc.poll() is None:
                with contextlib.suppress(psutil.Error):  # it just exited
                    resident = producer.memory_info().rss
                    if resident:  # 0: exited, not yet reaped
                        rss.append((counts.inbound, resident))
            if counts.drained:
                break
            if backfill.proc.poll() not in (None, 0):
                raise SystemExit(f"backfill failed:\n{backfill.log()[-3000:]}")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        cpu = tree_cpu(worker.pid) - cpu_before
        if profiler:
            profiler.stop()
        backfill.proc.wait(60)
        cpu += children_cpu() - reaped_before  # the backfill, reaped just now
        backfill.stop()
    finally:
        worker.stop()
        sampler.stop()
    bench.books.append(Books(f"throughput {label}", ledger.run(run_id)))
    bench.worker_peaks[label] = sampler.peak("worker")
    texts = [json.loads(line)["text"] for line in sink.read_text(encoding="utf-8").splitlines()]
    return Pipeline(
        count, seconds, texts, rss, sampler.peak("producer"), sampler.peak("worker"), cpu
    )


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process and its descendants, the descendants that
    already ended included (a worker replaces a process over NEWSFLOW_WORKER_MAX_MEMORY_MB)."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def children_cpu() -> float:
    """User + system CPU seconds of this process's reaped children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    """User + system CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_model(texts: list[str], processes: int, batch_size: int) -> tuple[float, float]:
    """Wall and CPU seconds of the raw spaCy model over `texts` (nlp.pipe, n_process).

    Loaded fresh each time: its vocabulary has seen none of the texts, like a new worker's.
    """
    import spacy

    from schemas.settings import get_settings

    nlp = spacy.load(get_settings().spacy_model)
    nlp("A short warm-up sentence in London.")
    cpu = self_cpu() + children_cpu()
    started = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=processes, batch_size=batch_size):
        pass
    seconds = time.perf_counter() - started
    return seconds, self_cpu() + children_cpu() - cpu


# 2. scaling --------------------------------------------------------------------------------


def run_extract_only(
    bench: Bench, corpus: Path, count: int, processes: int, number: int
) -> tuple[int, float]:
    """An extract-only worker with `processes` processes over a full queue: the articles it
    extracted from the moment 10% were done to the last, and the seconds that took."""
    label = f"scaling-{processes}-{number}"
    ledger = bench.fresh()
    sink = f"jsonl://{bench.tmp}/{label}.jsonl"
    client = bench.client
    # Fill the extract queue: a clean-only worker, then nothing consumes extract.
    cleaner = start_worker(
        bench.redis_url, bench.tmp / f"{label}-clean.log", "clean", 2, sink, env=bench.env
    )
    try:
        backfill = start_backfill(
            bench.redis_url, corpus, bench.tmp / f"{label}-backfill.log", env=bench.env
        )
        run_id = only_run(ledger._r)
        wait_until(lambda: articles_waiting(client, names.QUEUE_EXTRACT) >= count, "extract filled")
        backfill.proc.wait(60)
        backfill.stop()
    finally:
        cleaner.stop()
    # Drain it: progress is the publish queue filling up (nothing consumes publish yet).
    sampler = RssSampler()
    extractor = start_worker(
        bench.redis_url,
        bench.tmp / f"{label}-extract.log",
        "extract",
        processes,
        sink,
        env=bench.env,
    )
    try:
        sampler.watch("worker", extractor.pid)
        sampler.start()
        first = max(1, count // 10)
        wait_until(lambda: queue_depth(client, names.QUEUE_PUBLISH) >= first, "extract started")
        started = time.perf_counter()
        wait_until(lambda: queue_depth(client, names.QUEUE_PUBLISH) >= count, "extract drained")
        seconds = time.perf_counter() - started
    finally:
        extractor.stop()
        sampler.stop()
    bench.worker_peaks[label] = sampler.peak("worker")
    publisher = start_worker(
        bench.redis_url, bench.tmp / f"{label}-pub.log", "publish", 2, sink, env=bench.env
    )
    try:
        wait_until(lambda: ledger.run(run_id).drained, "published")
    finally:
        publisher.stop()
    bench.books.append(Books(f"scaling {number}, {processes} process(es)", ledger.run(run_id)))
    return count - first, seconds


def wait_until(done: Callable[[], bool], what: str, timeout: float = 1800) -> None:
    """Poll `done()` every 20 ms."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for: {what}")
        time.sleep(0.02)


# 3. latency --------------------------------------------------------------------------------


@dataclass
class Latency:
    """Webhook POST → record in the sink, per article (seconds)."""

    samples: list[float]
    stage_ms: list[float]  # clean + extract + publish time the record reports, per article
    words: float  # mean words of the cleaned stories
    webhook_peak: int

    def outside_ms(self) -> list[float]:
        """Per article, the milliseconds not spent inside a stage: HTTP, queues, sink write."""
        pairs = zip(self.samples, self.stage_ms, strict=True)
        return [seconds * 1000 - stages for seconds, stages in pairs]

    def pct(self, q: float) -> float:
        """The q-quantile in milliseconds (nearest rank)."""
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def run_latency(bench: Bench, count: int) -> Latency:
    """One article at a time through an idle `newsflow serve` + worker, timed to the sink."""
    ledger = bench.fresh()
    sink = bench.tmp / "latency.jsonl"
    sink.touch()
    port = free_port()
    articles = sized_texts(read_stories(), count, 600, 800)
    sampler = RssSampler()
    worker = start_worker(
        bench.redis_url,
        bench.tmp / "latency-worker.log",
        STAGE_QUEUES,
        bench.processes,
        f"jsonl://{sink}",
        env=bench.env,
    )
    server: Service | None = None
    samples: list[float] = []
    stage_ms: list[float] = []
    try:
        server = start_webhook(
            bench.redis_url, bench.tmp / "latency-serve.log", port, env=bench.env
        )
        sampler.watch("worker", worker.pid)
        sampler.watch("webhook", server.pid)
        sampler.start()
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
            sink.open(encoding="utf-8") as out,
        ):
            for story, text in articles:
                started = time.perf_counter()
                answer = http.post("/v1/articles", json={"text": text, "title": story.title})
                if answer.status_code != 202:
                    raise SystemExit(f"POST answered {answer.status_code}: {answer.text}")
                record = wait_for_record(out, answer.json()["id"])
                samples.append(time.perf_counter() - started)
                stage_ms.append(sum(record["pipeline"]["timings_ms"].values()))
                time.sleep(0.05)  # idle workers: nothing else in flight
        run_id = only_run(ledger._r)
    finally:
        if server is not None:
            server.stop()
        worker.stop()
        sampler.stop()
    bench.books.append(Books("latency (webhook)", ledger.run(run_id)))
    bench.worker_peaks["latency"] = sampler.peak("worker")
    words = statistics.fmean(s.words for s, _ in articles)
    return Latency(samples, stage_ms, words, sampler.peak("webhook"))


def wait_for_record(out: TextIO, article_id: str, timeout: float = 30) -> dict[str, Any]:
    """Read the sink from where it was left until the article's record appears; the record."""
    deadline = time.monotonic() + timeout
    pending = ""
    while time.monotonic() < deadline:
        chunk = out.read()
        if chunk:
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in filter(None, lines):
                record = json.loads(line)
                if record["article_id"] == article_id:
                    return record  # type: ignore[no-any-return]
        else:
            time.sleep(0.002)
    raise SystemExit(f"record {article_id} not in the sink after {timeout} s")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# the table ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """`ok` or `MISSED`."""
    return "ok" if ok else "MISSED"


@dataclass
class Round:
    """(b), then (a) on the texts (b) published: one slice of the corpus, back to back."""

    pipe: Pipeline
    model_seconds: float
    model_cpu: float
    baseline: Pipeline | None = None

    @property
    def model_rate(self) -> float:
        """Articles/s of (a)."""
        return len(self.pipe.texts) / self.model_seconds

    @property
    def ratio(self) -> float:
        """b/a in articles/s."""
        return self.pipe.rate / self.model_rate


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="corpus size (throughput)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="slices of the corpus, each through (b) then (a): load bursts hit both (default 4)",
    )
    parser.add_argument("--scaling-articles", type=int, default=None, help="default: min(N, 300)")
    parser.add_argument(
        "--scaling-rounds", type=int, default=2, help="1 2 2 1 … extract-only runs (default 2)"
    )
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, help="worker processes = n_process")
    parser.add_argument("--batch-size", type=int, default=16, help="nlp.pipe batch_size of (a)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="a scratch database")
    parser.add_argument("--quick", action="store_true", help="200 articles, 50 latency samples")
    parser.add_argument("--skip", default="", help="comma-separated: throughput,scaling,latency")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="RAW.txt",
        help="py-spy the worker in an extra, untimed run over the first slice; print the shares",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NEWSFLOW_X=V",
        help="extra setting for every newsflow process (repeatable)",
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        default=None,
        help="another source tree (e.g. the code before a change): its (b) runs in every round",
    )
    parser.add_argument(
        "--baseline-env",
        action="append",
        default=[],
        metavar="NEWSFLOW_X=V",
        help="a setting for a baseline (b) of this tree (or of --baseline-tree) in every round, "
        "e.g. NEWSFLOW_BACKFILL_BATCH_SIZE=1 (repeatable)",
    )
    args = parser.parse_args()
    if urlparse(args.redis).path in ("", "/", "/0"):
        raise SystemExit("refusing to flush Redis db 0: give a scratch database, e.g. .../7")
    if args.quick:
        args.articles, args.latency_samples, args.rounds = 200, 50, 2
    return args


def main() -> int:
    """Run every measurement and print the table."""
    args = parse_args()
    scaling_n = args.scaling_articles or min(args.articles, 300)
    skip = set(filter(None, args.skip.split(",")))
    env = dict(item.split("=", 1) for item in args.env)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        bench = Bench(args.redis, tmp, args.processes, env)
        stories = read_stories()
        corpus = tmp / f"corpus-{args.articles}.jsonl"
        size = write_jsonl(corpus, stories, args.articles)
        rounds = [] if "throughput" in skip else run_rounds(bench, args, corpus)
        if args.profile:
            first = bench.tmp / "slice-1.jsonl"
            n = len(first.read_text(encoding="utf-8").splitlines())
            run_pipeline(bench, first, n, "profiled", ROOT, profile_to=args.profile.resolve())
        scaling = {}
        if "scaling" not in skip:
            scaling_corpus = tmp / f"corpus-{scaling_n}.jsonl"
            write_jsonl(scaling_corpus, stories, scaling_n)
            scaling = run_scaling(bench, scaling_corpus, scaling_n, args.scaling_rounds)
        latency = None if "latency" in skip else run_latency(bench, args.latency_samples)
        bench.fresh()
    end_load = os.getloadavg()

    print()
    print(
        f"newsflow bench: {args.articles:,} articles ({size / MB:.1f} MB of noisy BBC text), "
        f"{psutil.cpu_count()} cores, {args.processes} worker processes; load average at start "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at end {end_load[0]:.2f} "
        f"{end_load[1]:.2f} {end_load[2]:.2f}; {time.monotonic() - started:.0f} s"
        + (f"; settings {' '.join(args.env)}" if args.env else "")
        + (f"; baseline settings {' '.join(args.baseline_env)}" if args.baseline_env else "")
    )
    rows = throughput_rows(args, rounds) + scaling_rows(scaling, scaling_n)
    rows += latency_rows(latency) + memory_rows(args, bench, rounds, latency)
    width = max(len(r[0]) for r in rows)
    for name, value, target, mark in rows:
        print(f"  {name:{width}}  {value:>18}  {target:>9}  {mark}")
    peaks = ", ".join(f"{label} {peak / MB:.0f}" for label, peak in bench.worker_peaks.items())
    print(f"  worker peak RSS by run (MB): {peaks}")
    print("loss (ledger books of every run):")
    for books in bench.books:
        print(books.row())
    if args.profile:
        print("\n".join(report(args.profile)))
    return 0 if all(b.balanced for b in bench.books) else 1


def run_rounds(bench: Bench, args: argparse.Namespace, corpus: Path) -> list[Round]:
    """Each slice of the corpus through (a) and (b), ABBA: b a | a b | b a …

    Alternating the order cancels a load that rises or falls over the run. (a) runs on the
    texts newsflow's cleaner makes of the slice (computed here, untimed), checked equal to
    the texts (b) published.
    """
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // args.rounds)
    rounds = []
    for number, start in enumerate(range(0, len(lines), size), start=1):
        part = bench.tmp / f"slice-{number}.jsonl"
        chunk = lines[start : start + size]
        part.write_text("".join(chunk), encoding="utf-8")
        rounds.append(run_round(bench, args, number, part, cleaned_texts(chunk)))
        last = rounds[-1]
        print(
            f"round {number}: {len(chunk)} articles, (a) {last.model_rate:.2f}/s, "
            f"(b) {last.pipe.rate:.2f}/s, b/a {last.ratio:.3f}"
            + (f", baseline (b) {last.baseline.rate:.2f}/s" if last.baseline else "")
            + f"; load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    return rounds


def run_round(
    bench: Bench, args: argparse.Namespace, number: int, part: Path, texts: list[str]
) -> Round:
    """(b) [baseline (b)] (a) in odd rounds, (a) [baseline (b)] (b) in even ones."""

    baseline_env = {**bench.env, **dict(item.split("=", 1) for item in args.baseline_env)}
    baseline_root = args.baseline_tree or (ROOT if args.baseline_env else None)

    def newsflow(label: str, root: Path, env: dict[str, str] | None = None) -> Pipeline:
        pipe = run_pipeline(bench, part, len(texts), f"{label}-{number}", root, env=env)
        if sorted(pipe.texts) != sorted(texts):
            raise SystemExit(f"round {number}: {label} published other texts than (a) got")
        return pipe

    baseline = None
    if number % 2:
        pipe = newsflow("newsflow", ROOT)
        if baseline_root:
            baseline = newsflow("baseline", baseline_root, baseline_env)
        seconds, cpu = run_model(texts, args.processes, args.batch_size)
    else:
        seconds, cpu = run_model(texts, args.processes, args.batch_size)
        if baseline_root:
            baseline = newsflow("baseline", baseline_root, baseline_env)
        pipe = newsflow("newsflow", ROOT)
    return Round(pipe, seconds, cpu, baseline)


def cleaned_texts(lines: list[str]) -> list[str]:
    """The main story newsflow's cleaner keeps of each JSON Lines article (as backfill sends
    them: the line's bytes, an application/json envelope)."""
    from workers.clean import CleanOptions, clean

    options = CleanOptions()
    return [
        clean(line.rstrip("\n").encode(), content_type="application/json", options=options).text
        for line in lines
    ]


def run_scaling(bench: Bench, corpus: Path, count: int, rounds: int) -> dict[int, float]:
    """Extract-only articles/s with 1 and 2 processes, ABBA (1 2 2 1 …), pooled per count."""
    seconds: dict[int, float] = {1: 0.0, 2: 0.0}
    measured: dict[int, int] = {1: 0, 2: 0}
    for number in range(rounds):
        for processes in (1, 2) if number % 2 == 0 else (2, 1):
            articles, took = run_extract_only(bench, corpus, count, processes, number + 1)
            measured[processes] += articles
            seconds[processes] += took
            print(f"scaling: {processes} process(es), {articles / took:.2f}/s", flush=True)
    return {p: measured[p] / seconds[p] for p in (1, 2)}


Row = tuple[str, str, str, str]  # figure, value, target, verdict


def throughput_rows(args: argparse.Namespace, rounds: list[Round]) -> list[Row]:
    """(a), (b), b/a pooled over the rounds (all articles over all seconds), CPU per article."""
    if not rounds:
        return []
    n = sum(len(r.pipe.texts) for r in rounds)
    words = sum(len(t.split()) for r in rounds for t in r.pipe.texts) / n
    a_seconds = sum(r.model_seconds for r in rounds)
    b_seconds = sum(r.pipe.seconds for r in rounds)
    ratio = a_seconds / b_seconds  # (n / b_seconds) / (n / a_seconds)
    a_cpu = sum(r.model_cpu for r in rounds) / n
    b_cpu = sum(r.pipe.cpu_seconds for r in rounds) / n
    rows: list[Row] = [
        ("cleaned story, mean words", f"{words:.0f}", "", ""),
        (
            f"(a) spaCy nlp.pipe, n_process={args.processes}, batch_size={args.batch_size}",
            f"{n / a_seconds:.2f} articles/s",
            f"{a_seconds:.1f} s",
            "",
        ),
        (
            f"(b) newsflow backfill → {args.processes} worker processes → JSONL",
            f"{n / b_seconds:.2f} articles/s",
            f"{b_seconds:.1f} s",
            "",
        ),
        ("throughput ratio b/a", f"{ratio:.3f}", "≥ 0.90", verdict(ratio >= 0.90)),
    ]
    if len(rounds) > 1:
        each = ", ".join(f"{r.ratio:.2f}" for r in rounds)
        rows.append((f"b/a of each of {len(rounds)} rounds", each, "", ""))
    rows += [
        ("CPU ms per article: (a) model processes", f"{a_cpu * 1000:.1f} ms", "", ""),
        ("CPU ms per article: (b) worker tree + backfill", f"{b_cpu * 1000:.1f} ms", "", ""),
        ("CPU ratio a/b", f"{a_cpu / b_cpu:.3f}", "", ""),
    ]
    baselines = [r.baseline for r in rounds if r.baseline is not None]
    if baselines:
        base_seconds = sum(b.seconds for b in baselines)
        base_cpu = sum(b.cpu_seconds for b in baselines) / n
        rows += [
            ("(b) of the baseline tree, same rounds", f"{n / base_seconds:.2f} articles/s", "", ""),
            ("baseline b/a", f"{a_seconds / base_seconds:.3f}", "", ""),
            ("baseline CPU ms per article", f"{base_cpu * 1000:.1f} ms", "", ""),
            ("this tree / baseline, articles/s", f"{base_seconds / b_seconds:.3f}", "", ""),
        ]
    return rows


def scaling_rows(scaling: dict[int, float], count: int) -> list[Row]:
    """Extract-only articles/s with 1 and 2 processes, and their ratio."""
    if not scaling:
        return []
    rows: list[Row] = [
        (f"extract queue, {p} process(es), {count} articles", f"{r:.2f} articles/s", "", "")
        for p, r in sorted(scaling.items())
    ]
    scale = scaling[2] / scaling[1]
    return [*rows, ("scaling ratio 2/1", f"{scale:.3f}", "≥ 1.8", verdict(scale >= 1.8))]


def latency_rows(latency: Latency | None) -> list[Row]:
    """p50, p99, p90 and max of webhook POST → record in the sink."""
    if latency is None:
        return []
    p50, p99 = latency.pct(0.50), latency.pct(0.99)
    label = f"latency POST → sink ({len(latency.samples)} × {latency.words:.0f} words) p50"
    return [
        (label, f"{p50:.0f} ms", "< 300 ms", verdict(p50 < 300)),
        ("latency p99", f"{p99:.0f} ms", "< 1000 ms", verdict(p99 < 1000)),
        (
            "latency p50 of the stages' own time (clean+extract+publish)",
            f"{statistics.median(latency.stage_ms):.0f} ms",
            "",
            "",
        ),
        (
            "latency p50 outside the stages (HTTP, queues, sink write)",
            f"{statistics.median(latency.outside_ms()):.0f} ms",
            "",
            "",
        ),
        (
            "latency p90 / max",
            f"{latency.pct(0.9):.0f} / {max(latency.samples) * 1000:.0f} ms",
            "",
            "",
        ),
    ]


def memory_rows(
    args: argparse.Namespace, bench: Bench, rounds: list[Round], latency: Latency | None
) -> list[Row]:
    """Peak RSS of any worker process; the backfill producer's over the largest backfill."""
    rows: list[Row] = []
    if bench.worker_peaks:
        peak = max(bench.worker_peaks.values())
        rows.append(
            (
                "peak RSS of any one worker process",
                f"{peak / MB:.0f} MB",
                "< 600 MB",
                verdict(peak < 600 * MB),
            )
        )
    if rounds:
        pipe = max((r.pipe for r in rounds), key=lambda p: p.articles)
        n = pipe.articles
        tenth = next((rss for count, rss in pipe.producer_rss if count >= n // 10), 0)
        last = pipe.producer_rss[-1][1] if pipe.producer_rss else 0
        rows += [
            (
                f"backfill producer RSS at 10% / end of {n:,}",
                f"{tenth / MB:.0f} / {last / MB:.0f} MB",
                "",
                "",
            ),
            (
                f"backfill producer peak RSS ({n:,} articles)",
                f"{pipe.producer_peak / MB:.0f} MB",
                "< 150 MB",
                verdict(pipe.producer_peak < 150 * MB),
            ),
        ]
    if latency is not None:
        rows.append(("newsflow serve peak RSS", f"{latency.webhook_peak / MB:.0f} MB", "", ""))
    return rows


if __name__ == "__main__":
    sys.exit(main())

"""Sinks: the JSONL file sink and its in-memory twin, behind one registry."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from schemas.article import Source, SourceKind
from schemas.record import PipelineInfo, Record
from workers.sinks import JsonlSink, MemorySink, Sink, open_sink
from workers.sinks.jsonl import jsonl_path


def make_record(n: int, text: str = "story") -> Record:
    return Record(
        article_id=f"{n:064x}",
        source=Source(kind=SourceKind.FILE),
        text=text,
        pipeline=PipelineInfo(version="test"),
    )


def test_jsonl_urls_give_absolute_and_relative_paths():
    assert jsonl_path("jsonl:///abs/out.jsonl") == Path("/abs/out.jsonl")
    assert jsonl_path("jsonl://./rel/out.jsonl") == Path("./rel/out.jsonl")
    assert jsonl_path("jsonl:///abs/out.jsonl?fsync=always") == Path("/abs/out.jsonl")
    with pytest.raises(ValueError, match="names no file"):
        jsonl_path("jsonl:///abs/dir/")


def test_registry_picks_by_scheme_and_names_the_known_ones(tmp_path):
    assert isinstance(open_sink(f"jsonl://{tmp_path}/a.jsonl"), JsonlSink)
    assert isinstance(open_sink("memory://registry-test"), MemorySink)
    with pytest.raises(ValueError, match=r"known schemes are .*jsonl://"):
        open_sink("ftp://example/records")


def test_every_sink_satisfies_the_protocol(tmp_path):
    for url in (f"jsonl://{tmp_path}/p.jsonl", "memory://protocol"):
        assert isinstance(open_sink(url), Sink)


def test_jsonl_appends_one_record_per_line_and_closes_cleanly(tmp_path):
    path = tmp_path / "deep" / "out.jsonl"
    with JsonlSink(f"jsonl://{path}") as sink:
        sink.write_batch([make_record(1), make_record(2)])
        sink.write_batch([make_record(3)])
    sink.close()  # twice is fine
    lines = path.read_text().splitlines()
    assert [Record.model_validate_json(line).article_id[-1] for line in lines] == ["1", "2", "3"]


def _append_many(path: str, worker: int, count: int, size: int) -> None:
    sink = JsonlSink(f"jsonl://{path}")
    for i in range(count):
        sink.write_batch([make_record(worker * 100_000 + i, text=str(worker) * size)])
    sink.close()


def test_concurrent_processes_never_interleave_lines(tmp_path):
    path = tmp_path / "shared.jsonl"
    # Records larger than a pipe buffer, from four processes at once.
    procs = [
        multiprocessing.get_context("fork").Process(
            target=_append_many, args=(str(path), w, 150, 9000)
        )
        for w in range(1, 5)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 600
    for record in records:
        assert len(set(record["text"])) == 1  # one writer's text, never a mix


def test_memory_sink_keeps_records_by_name():
    sink = open_sink("memory://twin")
    sink.write_batch([make_record(9)])
    assert MemorySink("memory://twin").records[-1].article_id.endswith("9")

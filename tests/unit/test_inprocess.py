"""`newsflow process`: the stage functions in one process, real model, no broker."""

from __future__ import annotations

import json

import pytest

from schemas.record import Record
from tests.conftest import sample_files, seed_files
from workers import state
from workers.clean import CleanOptions
from workers.cli import main as workers_main
from workers.inprocess import process_files
from workers.nlp import model as model_module
from workers.sinks import MemorySink


@pytest.fixture(scope="module")
def model():
    return state.model()


def test_samples_and_seeds_become_valid_records(model):
    files = sample_files() + seed_files()
    sink = MemorySink("memory://inprocess")
    summary = process_files(files, model, CleanOptions(), [sink])
    assert summary.published == len(files) and summary.failed == 0
    assert len(sink.records) == len(files)
    for record in sink.records:
        Record.model_validate(record.model_dump(mode="json"))
        assert len(record.text) > 500
        assert record.pipeline.model == model.label
        assert record.entities, "a news story names someone or somewhere"


def test_bad_files_fail_with_a_reason_and_the_rest_flow(tmp_path, model):
    (tmp_path / "a_good.txt").write_text("The minister met the envoy in the capital. " * 4)
    (tmp_path / "b_empty.txt").write_bytes(b"")
    (tmp_path / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (tmp_path / "d_nul.txt").write_bytes(b"abc\x00def" * 20)
    (tmp_path / "e_dup.txt").write_text("The minister met the envoy in the capital. " * 4)
    files = sorted(tmp_path.iterdir())
    sink = MemorySink("memory://bad")
    summary = process_files(files, model, CleanOptions(), [sink])
    assert (summary.published, summary.duplicates, summary.failed) == (1, 1, 3)
    reasons = " ".join(why for _, why in summary.failures)
    assert "empty" in reasons and "PNG" in reasons and "NUL" in reasons


def test_process_command_writes_jsonl_and_a_summary(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    code = workers_main(["process", str(sample_files()[0]), "--out", str(out)])
    assert code == 0
    assert "processed 1, published 1, duplicates 0, failed 0" in capsys.readouterr().out
    assert len(out.read_text().splitlines()) == 1
    json.loads(out.read_text())


def test_model_is_loaded_once_per_process(model):
    before = model_module.load_count
    for _ in range(3):
        assert state.model() is model
    assert model_module.load_count == before == 1

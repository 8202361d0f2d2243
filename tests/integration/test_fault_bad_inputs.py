"""Fault 5 (issue 7): ten kinds of bad input in one backfill, good articles around them.

Each bad input is dead-lettered with a clear reason (stage, reason code, error, attempts,
source path) while the good articles flow on; the run balances. Two choices are tested as
they are, not as dead letters:

- invalid UTF-8 inside otherwise valid UTF-8 text is decoded with U+FFFD for the bad bytes
  (the good characters stay right; the replacement is visible in the record and logged);
- unknown envelope fields are refused (`extra="forbid"`): a misspelt `titel` must not drop
  the title silently.

The test prints an accounting table: in, published, duplicates, DLQ per kind.
"""

from __future__ import annotations

import io
import json
import random
import re
import struct
import zipfile
from pathlib import Path

import pytest

from producers.dlq import DeadLetter, DeadLetterStream
from schemas.article import article_id_for
from schemas.ledger import Ledger
from tests.integration.chaos import accounting, story
from tests.integration.conftest import newsflow

pytestmark = pytest.mark.integration

# kind → (file or member, expected outcome "stage:reason" or "published")
EXPECTED: dict[str, tuple[str, str]] = {
    "empty": ("empty.txt", "enqueue:empty"),
    "binary": ("binary.txt", "clean:binary"),
    "50 MB": ("huge.txt", "enqueue:too_large"),
    "invalid UTF-8": ("invalid-utf8.txt", "published"),
    "HTML bomb (nested)": ("nested-bomb.html", "clean:html_too_complex"),
    "HTML bomb (repeated tags)": ("repeat-bomb.html", "clean:html_too_complex"),
    "JSON wrong types (.json)": ("wrong-types.json", "clean:malformed_envelope"),
    "JSON wrong types (.jsonl line)": ("batch.jsonl:2", "enqueue:malformed_envelope"),
    "unknown fields (.json)": ("unknown-fields.json", "clean:malformed_envelope"),
    "unknown fields (.jsonl line)": ("batch.jsonl:3", "enqueue:malformed_envelope"),
    "2 MB single line": ("long-line.txt", "clean:text_too_long"),
    "zip bomb (declared size)": ("archive.zip!/bomb.txt", "enqueue:too_large"),
    "zip bomb (lying header)": ("archive.zip!/liar.txt", "enqueue:unreadable"),
    "NUL-filled": ("nul.txt", "clean:binary"),
}
GOOD = ["good-0.txt", "good-1.txt", "good-2.txt", "archive.zip!/a-good.txt"]
GOOD += ["archive.zip!/z-good.txt", "batch.jsonl:1", "batch.jsonl:4"]


def _lie_about_size(data: bytearray, name: bytes, size: int) -> None:
    """Patch a zip member's declared uncompressed size (local header and central directory)."""
    for signature, name_len_at, size_at, name_at in (
        (b"PK\x03\x04", 26, 22, 30),
        (b"PK\x01\x02", 28, 24, 46),
    ):
        at = data.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + name_at : at + name_at + length] == name:
                struct.pack_into("<I", data, at + size_at, size)
            at = data.find(signature, at + 4)


def write_inputs(folder: Path) -> None:
    """The bad inputs and the good articles around them."""
    folder.mkdir()
    for i in range(3):
        (folder / f"good-{i}.txt").write_bytes(story("badin", i))
    (folder / "empty.txt").write_bytes(b"")
    rng = random.Random(7)
    (folder / "binary.txt").write_bytes(
        b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4000))
    )
    with open(folder / "huge.txt", "wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    utf8 = "Ministers met in Zürich on Monday — talks went well, officials said. " * 3
    (folder / "invalid-utf8.txt").write_bytes(
        utf8.encode() + b"\xff\x80 caf\xe9 " + ("The café reopened. " * 3).encode()
    )
    (folder / "nested-bomb.html").write_bytes(
        b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>"
    )
    (folder / "repeat-bomb.html").write_bytes(
        b"<html><body>" + b"<p>x</p>" * 1_000_000 + b"</body></html>"
    )
    wrong = {"text": 123, "title": ["a"], "published_at": "yesterday"}
    unknown = {"text": story("badin-unknown", 0).decode(), "titel": "Talks", "tags": ["x"]}
    (folder / "wrong-types.json").write_text(json.dumps(wrong))
    (folder / "unknown-fields.json").write_text(json.dumps(unknown))
    lines = [
        {"text": story("badin-jsonl", 0).decode()},
        wrong,
        {"text": story("badin-jsonl-unknown", 0).decode(), "titel": "Talks"},
        {"text": story("badin-jsonl", 1).decode()},
    ]
    (folder / "batch.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    words = " ".join(story("badin-line", i).decode().replace("\n", " ") for i in range(8000))
    (folder / "long-line.txt").write_text(words[: 2 * 1024 * 1024])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a-good.txt", story("badin-zip", 0))
        archive.writestr("bomb.txt", b"\0" * (256 << 20))  # 256 MB inflating from ~250 kB
        archive.writestr("liar.txt", b"\0" * (64 << 20))  # declares 1,000 bytes below
        archive.writestr("z-good.txt", story("badin-zip", 1))
    data = bytearray(buf.getvalue())
    _lie_about_size(data, b"liar.txt", 1000)
    (folder / "archive.zip").write_bytes(bytes(data))
    (folder / "nul.txt").write_bytes(b"\0" * 4096)


def outcome_of(entry: DeadLetter | None, status: str) -> str:
    if entry is not None:
        return f"{entry.stage}:{entry.reason}"
    return status or "missing"


def test_ten_kinds_of_bad_input_are_dead_lettered_and_good_ones_flow(
    redis_url, redis_client, worker, tmp_path
):
    folder = tmp_path / "inputs"
    write_inputs(folder)
    out = tmp_path / "out.jsonl"
    result = newsflow(redis_url, "backfill", str(folder), "--sink", f"jsonl://{out}", "--wait")
    found = re.search(r"run (backfill-[0-9a-f]+):", result.stdout)
    assert found, result.stderr[-3000:]
    run_id = found.group(1)
    counts = Ledger(redis_client).run(run_id)
    entries = {
        Path(e.source).relative_to(folder).as_posix(): e
        for e in DeadLetterStream(redis_client).newest(limit=500)
        if e.run_id == run_id
    }
    records = [json.loads(line) for line in out.read_text().splitlines()]
    published_paths = {Path(r["source"]["path"]).relative_to(folder).as_posix() for r in records}

    rows, wrong = [], []
    for kind, (name, expected) in EXPECTED.items():
        got = outcome_of(entries.get(name), "published" if name in published_paths else "")
        rows.append(f"  {kind:<31} {name:<24} {got}")
        if got != expected:
            wrong.append(f"{kind}: expected {expected}, got {got}")
    table = "\n".join(
        [f"  {'kind':<31} {'input':<24} outcome (stage:reason)", *rows, f"  good: {len(GOOD)}"]
    )
    dlq = sum(1 for e in entries.values())
    accounting(
        "fault 5 (bad inputs in one backfill)",
        counts,
        f"DLQ entries {dlq}, sink records {len(records)}\n{table}",
    )

    assert not wrong, wrong
    assert result.returncode == 1  # failures exist: the exit code says so
    assert set(GOOD) <= published_paths  # the good ones flowed, bad neighbours or not
    published = len(GOOD) + 1  # + the invalid UTF-8 one
    dead = sum(1 for _, expected in EXPECTED.values() if expected != "published")
    assert (counts.inbound, counts.published, counts.duplicates, counts.failed) == (
        published + dead,
        published,
        0,
        dead,
    )
    assert dlq == dead and len(records) == published
    for entry in entries.values():  # every entry says what, where, how often, and why
        assert entry.error and entry.attempts == 1 and entry.source.startswith(str(folder))
    assert entries["empty.txt"].payload and entries["empty.txt"].payload["body_b64"] == ""
    assert "titel" in entries["unknown-fields.json"].error
    [utf8] = [r for r in records if r["source"]["path"].endswith("invalid-utf8.txt")]
    assert "Zürich on Monday — talks" in utf8["text"] and "\ufffd" in utf8["text"]
    assert "Ã" not in utf8["text"]  # no mojibake of the good characters
    assert article_id_for((folder / "nul.txt").read_bytes()) == entries["nul.txt"].article_id
    assert worker.proc.poll() is None, "the worker survived every bad input"

"""Where a worker's time goes: py-spy over the worker's process tree, samples by category.

`py-spy record --subprocesses --format raw` writes one line per distinct stack with its
sample count; each stack goes to the first category whose rule matches one of its frames.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# (category, any of these in the stack), first match wins. The model runs under spaCy's
# Language.__call__ (language.py); our entity and event rules read spaCy tokens too, but
# outside it, so they land in their own category.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("newsflow entity repair (a pipeline component)", ("workers/nlp/repair.py",)),
    ("spaCy model", ("spacy/language.py",)),
    ("entities and events (newsflow rules)", ("workers/nlp/",)),
    ("cleaning", ("workers/clean/",)),
    ("sinks", ("workers/sinks/",)),
    ("Redis round trips", ("redis/",)),
    ("messages: pydantic and JSON", ("pydantic", "/json/", "kombu/serialization")),
    ("logging", ("structlog/", "logging/")),
    ("queue machinery: Celery, kombu, billiard", ("celery/", "kombu/", "billiard/")),
)
OTHER = "other"


class Profiler:
    """`py-spy record` attached to a running process tree until stopped."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        # The venv's own first: `.venv/bin/python ops/bench/run.py` leaves .venv/bin off PATH.
        binary = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which(
            "py-spy"
        )
        if binary is None:
            raise SystemExit("--profile needs py-spy: pip install py-spy (in the dev extras)")
        self.out = out
        self.proc = subprocess.Popen(
            [
                *(binary, "record", "--subprocesses", "--nonblocking", "--format", "raw"),
                *("--rate", str(rate), "--pid", str(pid), "--output", str(out)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Stop sampling; py-spy writes its file on SIGINT."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)


def categorize(raw: Path) -> tuple[Counter[str], Counter[str]]:
    """Samples per category in the worker's children and in its main process."""
    children: Counter[str] = Counter()
    main: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        # py-spy names the process first, then the child process when there is one.
        in_child = len(frames) > 1 and frames[1].startswith("process ")
        category = next(
            (name for name, marks in CATEGORIES if any(m in stack for m in marks)), OTHER
        )
        (children if in_child else main)[category] += int(count)
    return children, main


def report(raw: Path) -> list[str]:
    """The share of samples per category, largest first, children and main process apart."""
    children, main = categorize(raw)
    total = sum(children.values()) + sum(main.values())
    if not total:
        return ["no samples (py-spy could not attach?)"]
    lines = [f"worker profile ({total:,} samples, py-spy, children and main process):"]
    for where, counts in (("child", children), ("main", main)):
        for name, count in counts.most_common():
            lines.append(f"  {where:5} {name:46} {count / total:6.1%}")
    return lines

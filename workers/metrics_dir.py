"""The Prometheus multiprocess directory of one worker: empty at start, removed at exit.

Celery's prefork children each write their metrics to mmap files in this directory and the
main process merges them when /metrics is scraped. prometheus_client chooses its value class
when it is imported, so `newsflow worker` calls this before anything imports it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir() -> Path:
    """The directory named by PROMETHEUS_MULTIPROC_DIR, emptied, or a fresh temporary one."""
    if "prometheus_client.values" in sys.modules:
        raise RuntimeError("prepare_multiprocess_dir() must run before prometheus_client loads")
    given = os.environ.get(ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # an earlier run's counters would be added to ours
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix="newsflow-metrics-"))
    os.environ[ENV] = str(path)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # never from a forked child that happens to run atexit
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path

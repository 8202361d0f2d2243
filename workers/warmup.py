"""Pay a worker process's one-off costs before its first task, not inside it.

The first parse allocates the model's working buffers, the first clean loads wordfreq's word
list and compiles the cleaner's patterns, the first event pass builds the lexicon's lookups:
together tens of milliseconds that would land on the first article each process handles (a
live article's latency after every worker restart). `workers/app.py` calls this in
`worker_process_init`, after loading the model.
"""

from __future__ import annotations

import time

import structlog

from schemas import names
from workers import state
from workers.clean import clean
from workers.clean.segment import zipf
from workers.nlp import analyze

log = structlog.get_logger(__name__)

# Our own sentence: long enough for the cleaner (40 characters), with people, places and an
# event for the NLP rules.
SAMPLE = (
    "Ministers from Norway and Iceland met in Geneva on Friday to discuss fishing rights, "
    "officials said. The two sides agreed to hold further talks next month."
)


def warm_up(queues: list[str]) -> None:
    """Run the stages this process serves once over the sample, untimed by any task."""
    started = time.perf_counter()
    if names.QUEUE_CLEAN in queues:
        clean(SAMPLE.encode(), content_type="text/plain", options=state.clean_options())
        zipf("news")  # loads wordfreq's list (used only by stories of several paragraphs)
    if names.QUEUE_EXTRACT in queues:
        analyze(state.model(), SAMPLE)
    log.info("worker_warmed_up", ms=round((time.perf_counter() - started) * 1000, 1))

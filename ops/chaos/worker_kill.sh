#!/usr/bin/env bash
# Issue 7 fault 1, every case: `kill -9` of a whole worker or of its pool child in the middle
# of an article, with the JSONL and the PostgreSQL sink; the article is redelivered and lands
# exactly once. Prints accounting. CI runs two of the four cases
# (tests/integration/test_fault_worker_kill.py). PostgreSQL: NEWSFLOW_TEST_PG_URL
# (default postgres@127.0.0.1:5432; a database of its own is created and dropped).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$NF_ROOT"

ensure_venv
command -v redis-server >/dev/null || { log "redis-server is not installed"; exit 2; }
log "kill -9 mid-article: whole worker and pool child, JSONL and PostgreSQL sinks"
NEWSFLOW_CHAOS_ALL=1 run_fault_test tests/integration/test_fault_worker_kill.py "$@"

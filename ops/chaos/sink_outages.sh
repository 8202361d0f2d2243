#!/usr/bin/env bash
# Issue 7 faults 3 and 4 at full length: the webhook sink's receiver answers 500 for
# $OUTAGE seconds (default 30) then recovers; a private PostgreSQL is stopped for $OUTAGE
# seconds mid-run. Each prints its accounting (in, published, duplicates, DLQ).
# The same tests run in CI with 10 s outages (tests/integration/test_sink_faults.py).
#   ops/chaos/sink_outages.sh             both, 30 s each
#   OUTAGE=60 ops/chaos/sink_outages.sh -k postgres
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$NF_ROOT"

ensure_venv
redis_url="${NEWSFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
ensure_redis "$redis_url"
log "sink outages of ${OUTAGE:-30} s against $redis_url (that database is flushed)"
NEWSFLOW_TEST_REDIS_URL="$redis_url" NEWSFLOW_CHAOS_OUTAGE_SECONDS="${OUTAGE:-30}" \
  run_fault_test tests/integration/test_sink_faults.py "$@"

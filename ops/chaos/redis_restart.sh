#!/usr/bin/env bash
# Issue 7 fault 2 at full size: Redis (a private redis-server, AOF, fsync always) restarts in
# the middle of a 1,000-article backfill; the run completes with in = out. Prints accounting.
# CI runs the same test with 200 articles (tests/integration/test_fault_redis_restart.py).
#   ops/chaos/redis_restart.sh                     1,000 articles, Redis down 3 s
#   ARTICLES=2000 DOWN=10 ops/chaos/redis_restart.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$NF_ROOT"

ensure_venv
command -v redis-server >/dev/null || { log "redis-server is not installed"; exit 2; }
log "Redis restart during a ${ARTICLES:-1000}-article backfill (private redis-server)"
NEWSFLOW_CHAOS_ARTICLES="${ARTICLES:-1000}" NEWSFLOW_CHAOS_REDIS_DOWN_SECONDS="${DOWN:-3}" \
  run_fault_test tests/integration/test_fault_redis_restart.py -o timeout=900 "$@"

#!/usr/bin/env bash
# The test command: install, make sure Redis is up, lint, run every test tier.
# Extra arguments go to pytest (e.g. `ops/test.sh tests/unit -x`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$NF_ROOT"

ensure_venv
ensure_redis "${NEWSFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
log "ruff check"
ruff check .
log "pytest"
python -m pytest "$@"

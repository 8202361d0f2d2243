#!/usr/bin/env bash
# Fuzz a running webhook with schemathesis, longer than the test suite's run (which uses 25
# examples per operation and a fixed seed). Fails on any server error or on an answer that
# its OpenAPI document does not describe.
#
#   ops/fuzz_api.sh [BASE_URL]          default http://127.0.0.1:8080
#   WEBHOOK_TOKEN=...  bearer token when the server requires one
#   MAX_EXAMPLES=200   examples per operation;  SEED=N to replay a run
#
# The fuzzer submits articles: point the server at a scratch Redis database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_URL="${1:-http://127.0.0.1:8080}"
args=(
  run "$BASE_URL/openapi.json"
  --checks "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
  --phases "examples,coverage,fuzzing"
  --max-examples "${MAX_EXAMPLES:-200}"
)
[[ -n "${WEBHOOK_TOKEN:-}" ]] && args+=(--header "Authorization: Bearer $WEBHOOK_TOKEN")
[[ -n "${SEED:-}" ]] && args+=(--seed "$SEED")
ensure_venv
cd "$(mktemp -d)"  # schemathesis keeps a cache directory in the working directory
exec "$NF_VENV/bin/schemathesis" "${args[@]}"

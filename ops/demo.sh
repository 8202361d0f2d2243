#!/usr/bin/env bash
# The main job, end to end on this machine: install, local Redis, real Celery workers,
# the sample articles in, JSON records out, a summary printed. Then the same files again,
# to show duplicates being skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$NF_ROOT"

ensure_venv
ensure_redis
OUT="${DEMO_OUT:-$NF_ROOT/newsflow-out/demo.jsonl}"
INPUT="${DEMO_INPUT:-$NF_ROOT/tests/samples}"
mkdir -p "$(dirname "$OUT")"; rm -f "$OUT"

trap '"$NF_ROOT/ops/stack.sh" stop' EXIT
"$NF_ROOT/ops/stack.sh" start

log "backfilling $INPUT (--force: process again even if seen before)"
newsflow backfill "$INPUT" --sink "jsonl://$OUT" --wait --force --timeout 600 || status=$?
log "the same files again: every one is a duplicate now"
newsflow backfill "$INPUT" --sink "jsonl://$OUT" --wait --timeout 600

python - "$OUT" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
print(f"\n{len(rows)} records in {sys.argv[1]}")
for r in rows:
    print(f"  {r['article_id'][:12]}  {len(r['text']):>5} chars  {len(r['entities']):>3} entities"
          f"  {len(r['events']):>2} events  {(r['title'] or '')[:60]!r}")
    for e in r["events"][:3]:
        side = lambda a: f"{a['name']} ({a['country']})" if a else "-"
        print(f"      {e['type']:9} {side(e['source'])} -> {side(e['target'])}  [{e['trigger']['text']}]")
PY
exit "${status:-0}"

#!/usr/bin/env bash
# Local stack: `ops/stack.sh start|stop|status`. Starts Redis when none is reachable and one
# `newsflow worker` on every queue (WORKER_QUEUES, WORKER_CONCURRENCY to change).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIDFILE="$NF_STATE/worker.pid"
LOGFILE="$NF_STATE/worker.log"

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  ensure_venv
  ensure_redis
  mkdir -p "$NF_STATE"
  if running; then log "worker already running (pid $(cat "$PIDFILE"))"; return 0; fi
  : >"$LOGFILE"
  (cd "$NF_ROOT" && exec setsid newsflow worker \
      --queues "${WORKER_QUEUES:-fetch,clean,extract,publish,callback}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" >>"$LOGFILE" 2>&1) &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 300); do
    if grep -q "ready\." "$LOGFILE"; then log "worker ready (pid $(cat "$PIDFILE"), log $LOGFILE)"; return 0; fi
    running || { log "worker exited; last lines of $LOGFILE:"; tail -20 "$LOGFILE" >&2; return 1; }
    sleep 0.2
  done
  log "worker not ready after 60s: see $LOGFILE"; return 1
}

stop() {
  if ! running; then rm -f "$PIDFILE"; log "worker not running"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  log "stopping worker (pid $pid): warm shutdown, finishing tasks in hand"
  kill -TERM "$pid"
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "worker stopped"; return 0; }; sleep 0.1; done
  log "worker did not stop in 60s: killing it (unacknowledged tasks are redelivered)"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  rm -f "$PIDFILE"
}

status() {
  if running; then echo "worker: running (pid $(cat "$PIDFILE"))"; else echo "worker: stopped"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: ops/stack.sh start|stop|status" >&2; exit 2 ;;
esac

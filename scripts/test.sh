#!/usr/bin/env bash
# `npm test`: every check and test of the repository, as CI runs it (see docs/testing.md):
#   1. through turbo, one type-check and one lint over the whole repository and every workspace's
#      Vitest suite (integration tests use the machine's PostgreSQL and Redis, or embedded ones);
#   2. import cycles (madge), and the console's production build when its sources changed;
#   3. side by side: the console's flows (Playwright, against a system started with `npm start` on
#      its own ports and data folder, in the production shape) and the README's demo (Playwright,
#      against the demo exactly as `npm start` gives it, on ports and a data folder of its own).
# Why this order: the turbo stage keeps both cores busy on its own, so anything beside it only
# stretches it (the demo beside it added about as much to it as the demo's own length). The two
# Playwright suites mostly wait (on pages, on the worker's schedules, on the demo's compressed
# day): alone, the console's flows used under half of two cores and the demo less, so together
# they take about as long as the longer of the two. Both starts find the console built in step 2,
# so they never build it at once.
# Each stage prints "[test] <seconds>s ok|FAILED  <name>"; the demo's lines are prefixed
# "[demo] ". Turbo runs every task even after one failed (--continue), and every stage runs after
# a failed one, so one run shows every failure. The run fails when any stage fails.
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

code=0
stage "typecheck, lint and unit/integration tests (turbo)" npx turbo run typecheck lint test --concurrency=3 --continue || code=$?
stage "import cycles" npm run -s check:cycles || code=$?
stage "console build" npm run -s build:console || code=$?

stage "end-to-end: the README's demo (Playwright)" npm run -s e2e:demo -w @shardcast/e2e 2>&1 | sed -u 's/^/[demo] /' &
demo_pid=$!
stage "end-to-end: console flows (Playwright)" npm run -s e2e -w @shardcast/e2e || code=$?
wait "$demo_pid" || code=$?
exit "$code"

#!/usr/bin/env bash
# `npm test`: every check and test of the repository, as CI runs it (see docs/testing.md):
#   main lane:   through turbo, the type-check and the lint of the whole repository on one
#                program (`npm run check`) and every workspace's Vitest suite (integration tests
#                use the machine's PostgreSQL and Redis, or embedded ones); then import cycles
#                (madge); then the console's flows (Playwright, against a system started with
#                `npm start` on its own ports and data folder, in the production shape);
#   demo lane:   beside the main lane from the start, the README's demo (Playwright, against the
#                demo exactly as `npm start` gives it, on ports and a data folder of its own).
# The demo suite's eight minutes are the demo's own schedules (a split, a proposal, the first
# archives, a learnt prefetch pair), not work of the suite's, so it runs inside the main lane
# instead of after it. The console's flows do not run beside the Vitest suites: the two kept two
# cores at a load of 16-22, and tests with a time budget (sessions, leases, process starts, a
# what-if's deadline) failed on load alone. The other way round (the turbo stage alone, then the
# console's flows beside the demo) measured the same in all: each stage is CPU-bound on two cores,
# so it moved minutes from one stage to the other.
# Each stage prints "[test] <seconds>s ok|FAILED  <name>"; the demo lane's lines are prefixed
# "[demo] ". Turbo runs every task even after one failed (--continue), and the console's flows run
# after failed checks, so one run shows every failure. The run fails when any stage fails, after
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

main_lane() {
  local code=0
  stage "typecheck, lint and unit/integration tests (turbo)" npx turbo run check test --concurrency=3 --continue || code=$?
  stage "import cycles" npm run -s check:cycles || code=$?
  # The demo lane's start has built the console by now (when its sources had changed), so this
  # start finds the build current: two starts never build at once.
  stage "end-to-end: console flows (Playwright)" npm run -s e2e -w @shardcast/e2e || code=$?
  return "$code"
}

demo_lane() {
  stage "end-to-end: the README's demo (Playwright)" npm run -s e2e:demo -w @shardcast/e2e
}

demo_lane 2>&1 | sed -u 's/^/[demo] /' &
demo_pid=$!
main_lane
main=$?
wait "$demo_pid"
demo=$?
[ "$main" = 0 ] && [ "$demo" = 0 ]

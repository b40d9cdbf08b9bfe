import { defineConfig } from "vitest/config";
import { sharedModules } from "../runtime/src/testing/vitest-isolation.ts";
import { TEST_ENV } from "../runtime/src/testing/test-env.ts";

export default defineConfig({
  test: {
    // The two TZ files set the process time zone for themselves.
    ...sharedModules(["test/archive-range-budget.test.ts", "test/consumer-checkpoints.test.ts", "test/consumer-state-sql.test.ts"]),
    // PG_ADMIN_URL / REDIS_URL, or local servers, or embedded ones (see the setup file).
    globalSetup: ["../runtime/src/testing/global-setup.ts"],
    env: TEST_ENV,
    environment: "node",
    // Files wait on servers far more than they compute, and each has its own databases, key
    // prefixes and queue names: two at a time on two cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

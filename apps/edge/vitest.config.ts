import { defineConfig } from "vitest/config";
import { sharedModules } from "../../packages/runtime/src/testing/vitest-isolation.ts";
import { TEST_ENV } from "../../packages/runtime/src/testing/test-env.ts";

export default defineConfig({
  test: {
    // The key-cache tests count the database's key lookups through `vi.mock`.
    ...sharedModules(["test/auth-cache.test.ts", "test/disabled-owner-keys.test.ts"]),
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files wait on servers far more than they compute, and each has its own databases, key
    // prefixes and queue names: two at a time on two cores.
    maxWorkers: 2,
    globalSetup: ["../../packages/runtime/src/testing/global-setup.ts"],
    env: TEST_ENV,
  },
});

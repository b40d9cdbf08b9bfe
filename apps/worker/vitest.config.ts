import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedModules } from "../../packages/runtime/src/testing/vitest-isolation.ts";
import { TEST_ENV } from "../../packages/runtime/src/testing/test-env.ts";

export default defineConfig({
  // The SDK's package exports its build (dist/) for installs outside the repository; tests here run
  // its sources, as the root type-check and tsx do (the root tsconfig's paths), so no build comes first.
  resolve: { alias: { "@shardcast/client": fileURLToPath(new URL("../../packages/client/src/index.ts", import.meta.url)) } },
  test: {
    include: ["test/**/*.test.ts"],
    ...sharedModules(),
    // PG_ADMIN_URL / REDIS_URL, or local servers, or embedded ones (see the setup file).
    globalSetup: ["../../packages/runtime/src/testing/global-setup.ts"],
    env: TEST_ENV,
    // Integration tests create databases and apply migrations before they start.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Files wait on workers, queues and hosts far more than they compute, and each has its own
    // databases, key prefixes and queue names: two at a time halves the wall time on two cores.
    maxWorkers: 2,
  },
});

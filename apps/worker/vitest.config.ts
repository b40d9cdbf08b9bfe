import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // PG_ADMIN_URL / REDIS_URL, or local servers, or embedded ones (see the setup file).
    globalSetup: ["../../packages/runtime/src/testing/global-setup.ts"],
    // Integration tests create databases and apply migrations before they start.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The lifecycle load test measures throughput and drives a worker; on two cores it must not
    // share the machine with the other files.
    fileParallelism: false,
  },
});

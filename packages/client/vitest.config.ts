import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Every file starts a real edge over scratch PostgreSQL databases and Redis; on two shared
    // cores that takes seconds, and the quota test waits out whole Retry-After seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files wait on servers far more than they compute, and each has its own databases, key
    // prefixes and queue names: two at a time on two cores.
    maxWorkers: 2,
    globalSetup: ["../../packages/runtime/src/testing/global-setup.ts"],
  },
});

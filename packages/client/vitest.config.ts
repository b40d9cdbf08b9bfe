import { defineConfig } from "vitest/config";
import { TEST_ENV } from "../../packages/runtime/src/testing/test-env.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Every file starts a real edge over scratch PostgreSQL databases and Redis; on two shared
    // cores that takes seconds, and the quota test waits out whole Retry-After seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One file at a time: the session tests time heartbeats against the edge's session timeout,
    // and a second file's edge on the same two cores stalled one past it.
    fileParallelism: false,
    globalSetup: ["../../packages/runtime/src/testing/global-setup.ts"],
    env: TEST_ENV,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests create databases and apply migrations before they start.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The lifecycle load test measures throughput and drives a worker; on two cores it must not
    // share the machine with the other files.
    fileParallelism: false,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests create databases and apply migrations before they start.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Training is CPU-bound and the machines are shared: the tiny networks still take seconds.
    testTimeout: 60_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Training is CPU-bound and the machines are shared: the tiny networks take seconds alone, and
    // over a minute when every workspace's tests run at once on two cores.
    testTimeout: 180_000,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Each case runs whole simulations; a loaded machine can take tens of seconds.
    testTimeout: 120_000,
  },
});

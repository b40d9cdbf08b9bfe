import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Under turbo every workspace's checks share two cores: a default 5 s limit fails on load alone.
    testTimeout: 180_000,
  },
});

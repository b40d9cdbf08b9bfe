import { defineConfig } from "vitest/config";
import { sharedModules } from "../runtime/src/testing/vitest-isolation.ts";

export default defineConfig({
  test: {
    ...sharedModules(),
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Some cases check properties over thousands of inputs; under turbo every workspace's checks
    // share two cores, and a default 5 s limit fails them on load alone.
    testTimeout: 60_000,
  },
});

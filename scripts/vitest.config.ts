import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // The demo seed's test stores settings in a real control database (PG_ADMIN_URL, a local
    // server, or an embedded one: see the setup file).
    globalSetup: ["../packages/runtime/src/testing/global-setup.ts"],
    // Under turbo every workspace's checks share two cores: a default 5 s limit fails on load alone.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from "vitest/config";
import { sharedModules } from "./src/testing/vitest-isolation.ts";
import { TEST_ENV } from "./src/testing/test-env.ts";

export default defineConfig({
  test: {
    ...sharedModules(),
    // PG_ADMIN_URL / REDIS_URL, or local servers, or embedded ones (see the setup file).
    globalSetup: ["./src/testing/global-setup.ts"],
    env: TEST_ENV,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

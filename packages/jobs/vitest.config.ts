import { defineConfig } from "vitest/config";
import { TEST_ENV } from "../runtime/src/testing/test-env.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // PG_ADMIN_URL / REDIS_URL, or local servers, or embedded ones (see the setup file).
    globalSetup: ["../runtime/src/testing/global-setup.ts"],
    env: TEST_ENV,
    environment: "node",
    // Jobs run through real Redis and BullMQ; under turbo every workspace's checks share two cores,
    // and a default 5 s limit fails a test that waits on a job (up to 10 s) on load alone.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

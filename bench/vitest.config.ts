import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The SDK's package exports its build (dist/) for installs outside the repository; tests here run
  // its sources, as the root type-check and tsx do (the root tsconfig's paths), so no build comes first.
  resolve: { alias: { "@shardcast/client": fileURLToPath(new URL("../packages/client/src/index.ts", import.meta.url)) } },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Under turbo every workspace's checks share two cores: a default 5 s limit fails on load alone.
    testTimeout: 180_000,
  },
});

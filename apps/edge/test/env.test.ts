import { undocumentedDefaults } from "@shardcast/runtime/testing/env-example";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";

/** The edge's settings, read from the environment with every problem named. */
describe("edge env", () => {
  it("defaults every variable to the value .env.example documents", () => {
    const env: Record<string, string | number | undefined> = loadEnv({ DATABASE_URL: "postgres://localhost/none" });
    expect(undocumentedDefaults(env, ["DATABASE_URL"])).toEqual([]);
  });

  it("refuses a shutdown grace past 10 minutes, naming the setting", () => {
    expect(() => loadEnv({ DATABASE_URL: "postgres://localhost/none", SHARDCAST_SHUTDOWN_GRACE_MS: "600001" })).toThrow("SHARDCAST_SHUTDOWN_GRACE_MS");
  });
});

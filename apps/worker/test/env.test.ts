import { undocumentedDefaults } from "@shardcast/runtime/testing/env-example";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";

/** The worker's settings, read from the environment with every problem named. */
describe("worker env", () => {
  it("defaults every variable to the value .env.example documents", () => {
    const env: Record<string, string | number | undefined> = loadEnv({ DATABASE_URL: "postgres://localhost/none" });
    expect(undocumentedDefaults(env, ["DATABASE_URL"])).toEqual([]);
  });

  it("takes an empty variable as unset, and 0 only for the periods that 0 turns off", () => {
    const base = { DATABASE_URL: "postgres://localhost/none" };
    expect(loadEnv({ ...base, SHARDCAST_WORKER_CONCURRENCY: "" }).SHARDCAST_WORKER_CONCURRENCY).toBe(4);
    expect(loadEnv({ ...base, SHARDCAST_ORCHESTRATOR_EVERY_MS: "0" }).SHARDCAST_ORCHESTRATOR_EVERY_MS).toBe(0);
    expect(() => loadEnv({ ...base, SHARDCAST_ACCOUNTING_EVERY_MS: "0" })).toThrow("SHARDCAST_ACCOUNTING_EVERY_MS");
  });
});

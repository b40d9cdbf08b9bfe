import { afterEach, describe, expect, it, vi } from "vitest";

/** The console's settings, read from the environment with every problem named. */
describe("console env", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  const load = async (env: Record<string, string>) => {
    vi.stubEnv("DATABASE_URL", "postgresql://localhost/none");
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const { getEnv } = await import("../src/env.ts");
    return getEnv();
  };

  it("takes the number of concurrent password checks, 2 by default", async () => {
    expect((await load({})).SHARDCAST_SIGN_IN_CONCURRENCY).toBe(2);
    vi.resetModules();
    expect((await load({ SHARDCAST_SIGN_IN_CONCURRENCY: "8" })).SHARDCAST_SIGN_IN_CONCURRENCY).toBe(8);
  });

  it("refuses a number of password checks that would shut sign-in or memory down, naming the setting", async () => {
    await expect(load({ SHARDCAST_SIGN_IN_CONCURRENCY: "0" })).rejects.toThrow("SHARDCAST_SIGN_IN_CONCURRENCY: SHARDCAST_SIGN_IN_CONCURRENCY must be at least 1");
    vi.resetModules();
    await expect(load({ SHARDCAST_SIGN_IN_CONCURRENCY: "1000" })).rejects.toThrow("must be at most 64");
  });
});

import { describe, expect, it } from "vitest";
import { lifecycleSettingsSchema } from "@shardcast/core/lifecycle/settings";
import { setApiKeyQuotaInput } from "../src/routers/apikeys/set-quota.ts";
import { registerHostInput } from "../src/routers/hosts/register.ts";

/** The first message per field, as the console shows it: zod's own defaults ("Too big: expected int to be <=…") must not reach it. */
function firstMessages(result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of result.error?.issues ?? []) out[i.path.map(String).join(".")] ??= i.message;
  return out;
}

const quota = (produceEventsPerSec: number) => ({ id: "k1", quota: { produceEventsPerSec, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null } });

describe("input bounds say what the limit is", () => {
  it("API key limits past the 32-bit column", () => {
    expect(firstMessages(setApiKeyQuotaInput.safeParse(quota(1e30)))).toEqual({ "quota.produceEventsPerSec": "a limit is at most 2,147,483,647 per second" });
    expect(firstMessages(setApiKeyQuotaInput.safeParse(quota(2.5)))).toEqual({ "quota.produceEventsPerSec": "a limit is a whole number" });
  });

  it("host capacities too large or not finite", () => {
    const host = { name: "h", dsn: "postgres://u:p@h/db" };
    expect(firstMessages(registerHostInput.safeParse({ ...host, capacityBytes: 1e30 }))).toEqual({ capacityBytes: "capacity must be at most 9,007,199,254,740,991 bytes (8 PiB)" });
    expect(firstMessages(registerHostInput.safeParse({ ...host, capacityBytes: Infinity }))).toEqual({ capacityBytes: "capacity must be a number of bytes" });
    expect(firstMessages(registerHostInput.safeParse({ ...host, capacityEventsPerSec: 1e30 }))).toEqual({ capacityEventsPerSec: "capacity must be at most 2,147,483,647 events/s" });
  });

  it("lifecycle settings past their maxima", () => {
    const big = { initialCapacityBytes: 999999999999999 * 1024 * 1024, minShardletWidth: 1e30, maxShardletsPerStream: 1e30, splitWriteRate: 1e30, mergeWriteRate: 1e30 };
    const got = firstMessages(lifecycleSettingsSchema.safeParse(big));
    expect(got.initialCapacityBytes).toBe("initial capacity must be at most 1 GiB");
    for (const m of Object.values(got)) expect(m).not.toMatch(/Too big|expected/);
    expect(Object.keys(got).sort()).toEqual(["initialCapacityBytes", "maxShardletsPerStream", "mergeWriteRate", "minShardletWidth", "splitWriteRate"]);
  });
});

import { HostDriver, listShardlets, type HostPool } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import type { LifecycleHarness } from "./lifecycle-harness.ts";
import { startPlacementHarness, twoMinutesOn } from "./placement-harness.ts";

/**
 * A storage host that does not answer must not stop the placement run: its shardlets wait for the
 * next run (as the run's own warning says), and the shardlets of the other hosts are measured and
 * archived as usual.
 */
let h: LifecycleHarness;
let dead: HostDriver;

beforeAll(async () => {
  h = await startPlacementHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 1 });
  // Nothing listens on port 1: every statement on this driver fails to connect.
  dead = new HostDriver("postgres://shardcast:shardcast@127.0.0.1:1/nowhere", { connectTimeoutMs: 500 });
});

afterAll(async () => {
  await dead?.close().catch(() => undefined);
  await h?.close();
});

describe("placement.run with a host down", () => {
  it("archives the shardlets of the hosts that answer", async () => {
    const shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    const hostIds = [...new Set(shardlets.map((s) => s.hostId))];
    expect(hostIds.length).toBe(2);
    for (const s of shardlets) await h.produce(Array.from({ length: 50 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
    const [down, up] = hostIds as [string, string];
    const hosts = { get: (id: string) => (id === down ? Promise.resolve(dead) : h.hosts.get(id)) } as unknown as HostPool;
    const later = twoMinutesOn(h, { hosts });

    const result = await runPlacement(later, { redis: h.redis, prefix: h.prefix });
    const upShardlets = shardlets.filter((s) => s.hostId === up);
    expect(result.archived).toBe(upShardlets.length);
    const driver = await h.driver(up);
    expect((await driver.archivedInRanges(h.streamId, upShardlets)).every((a) => a.events === 50)).toBe(true);
  });
});

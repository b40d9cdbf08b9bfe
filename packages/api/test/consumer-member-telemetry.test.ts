import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addConsumerMember, createStream, ensureConsumerGroup, reconcileConsumerGroup, touchConsumerMember } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

/** The Consumers page's member table: each member's latest telemetry and its weight in the assignment. */

let h: Harness;
let viewer: string;

beforeAll(async () => {
  h = await startHarness();
  viewer = await h.sessionFor("viewer");
  const stream = await createStream(h.db, h.hosts, { name: "clicks", shardCount: 8 });
  const g = await ensureConsumerGroup(h.db, { streamId: stream.id, name: "scoring", startSeq: 0 });
  const fast = await addConsumerMember(h.db, { groupId: g.id, name: "fast", sessionTimeoutMs: 60_000 });
  const slow = await addConsumerMember(h.db, { groupId: g.id, name: "slow", sessionTimeoutMs: 60_000 });
  await addConsumerMember(h.db, { groupId: g.id, name: "quiet", sessionTimeoutMs: 60_000 });
  const telemetry = { cpu: 0.25, rssBytes: 200_000_000, heapUsedBytes: 80_000_000, loopLagMs: 12.5 };
  await touchConsumerMember(h.db, fast.id, new Date(), { ...telemetry, events: 3000, handlerMs: 1000 });
  await touchConsumerMember(h.db, slow.id, new Date(), { ...telemetry, events: 3000, handlerMs: 3000 });
  await reconcileConsumerGroup(h.db, g.id, { now: Date.now(), handoffTimeoutMs: 1_000, sealCursors: () => Promise.resolve(new Map()) });
});
afterAll(() => h?.close());

interface Member {
  name: string;
  shardlets: number;
  weight: number;
  telemetry: { cpu: number; rssBytes: number; heapUsedBytes: number; loopLagMs: number; eventsPerSec: number | null; sampleEvents: number; at: string } | null;
}

describe("consumers.group members", () => {
  it("show CPU, memory, loop lag, processing rate and weight per member", async () => {
    const g = await h.call<{ members: Member[] }>("query", "consumers.group", { stream: "clicks", group: "scoring" }, viewer);
    expect(g.status).toBe(200);
    const byName = new Map(g.data!.members.map((m) => [m.name, m]));
    expect(byName.get("fast")!.telemetry).toMatchObject({ cpu: 0.25, rssBytes: 200_000_000, heapUsedBytes: 80_000_000, loopLagMs: 12.5, eventsPerSec: 3000, sampleEvents: 3000 });
    expect(byName.get("slow")!.telemetry?.eventsPerSec).toBe(1000);
    expect(byName.get("quiet")!.telemetry).toBeNull();
    // Weighed against the median of the measured (2000 events/s); the unmeasured one as typical.
    expect(byName.get("fast")!.weight).toBe(1.5);
    expect(byName.get("slow")!.weight).toBe(0.5);
    expect(byName.get("quiet")!.weight).toBe(1);
    // 8 shardlets over weights 1.5 + 0.5 + 1: the slow member holds the fewest.
    expect(byName.get("slow")!.shardlets).toBeLessThan(byName.get("fast")!.shardlets);
    expect([...byName.values()].reduce((n, m) => n + m.shardlets, 0)).toBe(8);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng, type ShardletRoute } from "@shardcast/core";
import { createReplica, createReplicaRecord, HostDriver, readReplicaRanges, recordReplicaProgress } from "@shardcast/db";
import { fillReplica, waitFor } from "@shardcast/db/testing";
import { createRedis, type SequenceAllocator } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { startTcpProxy, type TcpProxy } from "@shardcast/runtime/testing/tcp-proxy";
import { RangeReader, type RangeHosts } from "../src/consumers/range-reader.ts";
import { ReplicaHints } from "../src/consumers/replica-routing.ts";
import type { RouteEntry, RoutingCache } from "../src/routing-cache.ts";
import { post, startHarness, type Harness } from "./harness.ts";
import { readParts } from "./read-parts.ts";

/**
 * Consumers' range reads of a shardlet with two read replicas on real hosts, one of them behind a
 * proxy that holds its host's replies back: the latency-aware routing leaves the slow replica (but
 * for the floor's reads), uses it again once its replies come at once, and every page is the one
 * the shardlet's host alone returns.
 */

const DELAY_MS = 60;
const LIMIT = 40;

let h: Harness;
let redis: ReturnType<typeof createRedis>;
let routing: RoutingCache;
let sequences: SequenceAllocator;
let proxy: TcpProxy;
let slowDriver: HostDriver;
let s: ShardletRoute;
let slowHostId: string;
const replicaIds = { fast: "", slow: "" };

beforeAll(async () => {
  h = await startHarness({ stream: "replica-latency", shardCount: 1 });
  redis = createRedis(testRedisUrl());
  ({ routing, sequences } = readParts(h, redis));
  for (let i = 0; i < 4; i++) {
    const events = Array.from({ length: 100 }, (_, j) => ({ key: `k-${(i * 100 + j) % 37}`, type: "t", payload: { n: i * 100 + j } }));
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
  }
  const entry = (await routing.get(h.stream))!;
  // The shardlet with the most rows: most keys hash into it.
  s = [...entry.table.all()].sort((a, b) => b.hi - b.lo - (a.hi - a.lo))[0]!;
  const [fastHostId, otherHostId] = h.hostIds.filter((id) => id !== s.hostId);
  slowHostId = otherHostId!;
  const upToSeq = await sequences.watermark(h.streamId);
  const source = await h.hosts.get(s.hostId);
  for (const [which, hostId] of [["fast", fastHostId!], ["slow", slowHostId]] as const) {
    const rec = await createReplicaRecord(h.db, { streamId: h.streamId, shardletId: s.id, hostId, sourceHostId: s.hostId, epoch: s.epoch, lo: s.lo, hi: s.hi, reason: "test" });
    const target = await h.hosts.get(hostId);
    await createReplica(target, { replicaId: rec.id, streamId: h.streamId, lo: s.lo, hi: s.hi });
    const held = await fillReplica(source, target, { replicaId: rec.id, streamId: h.streamId, shardletId: s.id, lo: s.lo, hi: s.hi, upToSeq });
    await recordReplicaProgress(h.db, rec.id, { verifiedSeq: upToSeq, ...held });
    replicaIds[which] = rec.id;
  }
  proxy = await startTcpProxy(h.hostDsns.get(slowHostId)!, 5432);
  slowDriver = new HostDriver(proxy.url, { poolSize: 2 });
}, 120_000);

afterAll(async () => {
  await slowDriver?.close();
  await proxy?.close();
  await redis?.quit();
  await h?.close();
});

describe("latency-aware replica reads on real hosts", () => {
  it("leave a replica whose replies are slow, come back to it once they are not, and return the host's events", async () => {
    const entry: RouteEntry = (await routing.refreshById(h.streamId, "pubsub"))!;
    expect(entry.table.all().find((r) => r.id === s.id)?.replicas).toHaveLength(2);
    const served: string[] = [];
    const hosts: RangeHosts = {
      readRanges: async (hostId, q) => {
        served.push("host");
        return (await h.hosts.get(hostId)).readRanges(q);
      },
      readReplica: async (hostId, q) => {
        served.push(q.replicaId === replicaIds.slow ? "slow" : "fast");
        return readReplicaRanges(hostId === slowHostId ? slowDriver : await h.hosts.get(hostId), q);
      },
    };
    const hints = new ReplicaHints(Date.now, 10_000, { policy: "latency", floorShare: 0.02, halfLifeMs: 1_000, rng: createRng("replica-latency-reads") });
    const reader = new RangeReader({ routing, sequences, hosts, replicas: hints });
    const hostOnly = new RangeReader({ routing, sequences, hosts: { readRanges: async (hostId, q) => (await h.hosts.get(hostId)).readRanges(q) } });
    const positions = [0, 50, 100, 150, 200, 250];
    let turn = 0;
    /** Reads a page at the next position through both readers; returns where the routed read went. */
    const readPage = async (): Promise<string> => {
      const after = positions[turn++ % positions.length]!;
      const parts = [{ shardletId: s.id, lo: s.lo, hi: s.hi, cursor: [{ lo: s.lo, hi: s.hi, after }] }];
      const page = await reader.read(entry, parts, LIMIT);
      const went = served.at(-1)!;
      const expected = await hostOnly.read(entry, parts, LIMIT);
      expect(page.next).toBe(expected.next);
      expect(page.events.get(s.id)).toEqual(expected.events.get(s.id));
      expect(page.events.get(s.id)?.length).toBeGreaterThan(0);
      return went;
    };

    proxy.delayReplies(DELAY_MS);
    await waitFor("the slow replica to be measured", async () => {
      await readPage();
      return (hints.estimate({ replicaId: replicaIds.slow }) ?? 0) >= DELAY_MS;
    });
    const avoiding: string[] = [];
    for (let i = 0; i < 150; i++) avoiding.push(await readPage());
    const count = (list: readonly string[], target: string) => list.filter((t) => t === target).length;
    // The floor's 2% spread over three targets: a read or so of 150, never a third of them.
    expect(count(avoiding, "slow")).toBeLessThanOrEqual(6);
    expect(count(avoiding, "fast")).toBeGreaterThan(30);
    expect(count(avoiding, "host")).toBeGreaterThan(30);

    // Its replies come at once again: the floor's reads bring its estimate down and it is used again.
    proxy.delayReplies(0);
    await waitFor(
      "the recovered replica to take its share again",
      async () => {
        const batch: string[] = [];
        for (let i = 0; i < 30; i++) batch.push(await readPage());
        return count(batch, "slow") >= 5;
      },
      30_000,
    );
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReplicaRecord, createStream, listShardlets, markReplicaDropping, recordReplicaProgress, type ReplicaInfo, type ShardletInfo } from "@shardcast/db";
import { addReplicaServed, replicaServedKey } from "@shardcast/runtime";
import { startHarness, type Harness } from "./harness.ts";

interface ReplicaOut {
  id: string;
  streamName: string;
  shardletId: string;
  range: { lo: number; hi: number };
  hostName: string;
  sourceHostName: string;
  epoch: number;
  state: string;
  verifiedSeq: number;
  events: number;
  bytes: number;
  served: number | null;
  reason: string;
  createdAt: Date;
  ageSec: number;
  updatedAt: Date;
}
interface View {
  stream: { name: string } | null;
  hosts: number;
  replicas: ReplicaOut[];
  servedError: string | null;
}
interface MapOut {
  hosts: Array<{ name: string; shardlets: Array<{ id: string; replicas: Array<{ id: string; hostName: string; state: string; verifiedSeq: number }> }> }>;
}

let h: Harness;
let viewer: string;
const streams: Record<string, string> = {};
let hot: ShardletInfo[] = [];
let hostName: Map<string, string>;
// Replicas of the hot stream's first shardlet on the two other hosts, and one of the other stream.
let near: ReplicaInfo;
let far: ReplicaInfo;
let otherReplica: ReplicaInfo;

/** A host other than the ones given, so a replica never lands on its shardlet's host. */
function hostOtherThan(...ids: string[]): string {
  const id = h.hostIds.find((x) => !ids.includes(x));
  if (!id) throw new Error("not enough hosts");
  return id;
}

const replicaOf = (s: ShardletInfo, hostId: string, reason: string) =>
  createReplicaRecord(h.db, { streamId: s.streamId, shardletId: s.id, hostId, sourceHostId: s.hostId, epoch: s.epoch, lo: s.lo, hi: s.hi, reason });

beforeAll(async () => {
  h = await startHarness({ hosts: 3 });
  viewer = await h.sessionFor("viewer");
  hostName = new Map(h.hostIds.map((id, i) => [id, `h${i + 1}`]));
  for (const [name, shardCount] of [["hot", 2], ["quiet", 1]] as const) streams[name] = (await createStream(h.db, h.hosts, { name, shardCount })).id;
  hot = (await listShardlets(h.db, { streamId: streams.hot! })).sort((a, b) => a.lo - b.lo);
  const [first] = hot;
  const [quiet] = await listShardlets(h.db, { streamId: streams.quiet! });
  near = await replicaOf(first!, hostOtherThan(first!.hostId), "hot: read by 3 consumers");
  far = await replicaOf(first!, hostOtherThan(first!.hostId, near.hostId), "hot: second copy");
  otherReplica = await replicaOf(quiet!, hostOtherThan(quiet!.hostId), "quiet: read by 1 consumer");
  await recordReplicaProgress(h.db, near.id, { verifiedSeq: 40, events: 40, bytes: 4_096 });
  await markReplicaDropping(h.db, far.id, "its shardlet moved to another host");
});
afterAll(async () => {
  await h?.close();
});

describe("cache.replicas", () => {
  it("lists a stream's replicas with their hosts, progress, what they served and their age, to a viewer", async () => {
    const prefix = h.freshPrefix("replicas");
    await addReplicaServed(h.redis, prefix, new Map([[near.id, 25], [otherReplica.id, 7]]));
    const before = Date.now();
    const res = await h.call<View>("query", "cache.replicas", { stream: "hot" }, viewer, { redisPrefix: prefix });
    const after = Date.now();
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d.stream!.name).toBe("hot");
    expect(d.hosts).toBe(3);
    expect(d.servedError).toBeNull();
    const [first] = hot;
    const source = hostName.get(first!.hostId)!;
    // The other stream's replica is left out; the two of one shardlet come in host order.
    expect(d.replicas.map((r) => r.id)).toEqual([near, far].sort((a, b) => hostName.get(a.hostId)!.localeCompare(hostName.get(b.hostId)!)).map((r) => r.id));
    const byId = new Map(d.replicas.map((r) => [r.id, r]));
    expect(byId.get(near.id)).toMatchObject({
      streamName: "hot",
      shardletId: first!.id,
      range: { lo: first!.lo, hi: first!.hi },
      hostName: hostName.get(near.hostId),
      sourceHostName: source,
      epoch: first!.epoch,
      state: "ready",
      verifiedSeq: 40,
      events: 40,
      bytes: 4_096,
      served: 25,
      reason: "hot: read by 3 consumers",
    });
    // Nothing served yet is a known 0, not an unknown.
    expect(byId.get(far.id)).toMatchObject({ hostName: hostName.get(far.hostId), sourceHostName: source, state: "dropping", verifiedSeq: 0, served: 0, reason: "its shardlet moved to another host" });
    // The age is measured when the request is answered, so it lies between the two clocks read here.
    for (const r of d.replicas) {
      expect(r.hostName).not.toBe(source);
      expect(r.createdAt.getTime()).toBeLessThanOrEqual(before);
      expect(r.ageSec).toBeGreaterThanOrEqual(Math.round((before - r.createdAt.getTime()) / 1000));
      expect(r.ageSec).toBeLessThanOrEqual(Math.round((after - r.createdAt.getTime()) / 1000));
    }

    // Every stream when none is named, by stream name.
    const all = await h.call<View>("query", "cache.replicas", {}, viewer, { redisPrefix: prefix });
    expect(all.status).toBe(200);
    expect(all.data!.stream).toBeNull();
    expect(all.data!.replicas.map((r) => r.streamName)).toEqual(["hot", "hot", "quiet"]);
    expect(all.data!.replicas[2]).toMatchObject({ id: otherReplica.id, served: 7, state: "ready" });
  });

  it("shows the replicas without their served counts when Redis cannot give them", async () => {
    const prefix = h.freshPrefix("replicas");
    // A string where the hash should be: Redis refuses the read (WRONGTYPE), as it would a broken key.
    await h.redis.set(replicaServedKey(prefix), "not a hash");
    const res = await h.call<View>("query", "cache.replicas", { stream: "hot" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data!.servedError).toMatch(/^events served could not be read: /);
    expect(res.data!.replicas.map((r) => r.served)).toEqual([null, null]);
  });

  it("answers an empty list for a stream without replicas, 401s without a session and 404s an unknown stream", async () => {
    const prefix = h.freshPrefix("replicas");
    await createStream(h.db, h.hosts, { name: "plain", shardCount: 1 });
    const res = await h.call<View>("query", "cache.replicas", { stream: "plain" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ stream: { name: "plain" }, hosts: 3, replicas: [], servedError: null });
    expect((await h.call("query", "cache.replicas", {}, null, { redisPrefix: prefix })).status).toBe(401);
    const unknown = await h.call("query", "cache.replicas", { stream: "nope" }, viewer, { redisPrefix: prefix });
    expect(unknown.status).toBe(404);
    expect(unknown.error!.data.scCode).toBe("not_found");
  });
});

describe("shardmap.byHost", () => {
  it("lists each shardlet's replicas with their host names", async () => {
    const res = await h.call<MapOut>("query", "shardmap.byHost", { streamId: streams.hot! }, viewer);
    expect(res.status).toBe(200);
    const byId = new Map(res.data!.hosts.flatMap((x) => x.shardlets).map((s) => [s.id, s.replicas]));
    const [first, second] = hot;
    expect(new Set(byId.get(first!.id)!.map((r) => `${r.hostName} ${r.state} ${r.verifiedSeq}`))).toEqual(
      new Set([`${hostName.get(near.hostId)} ready 40`, `${hostName.get(far.hostId)} dropping 0`]),
    );
    expect(byId.get(second!.id)).toEqual([]);
  });
});

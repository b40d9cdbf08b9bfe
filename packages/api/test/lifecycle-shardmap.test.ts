import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASH_SPACE, PlacementBandit } from "@shardcast/core";
import { placementStateKey, writePlacementState } from "@shardcast/runtime";
import { startHarness, type Harness } from "./harness.ts";
import { queuedJobs, useLifecycleConsole, type MapOut, type MapShardletOut, type RangeOut } from "./lifecycle-harness.ts";

/**
 * The shard map's splits and merges: their lineage, the jobs and operations they queue and log, and
 * the lifecycle jobs the console lists (these read what the shard map tests left behind).
 */
describe("lifecycle console api (one host)", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let operatorEmail: string;

  useLifecycleConsole((c) => ({ h, viewer, operator, operatorEmail } = c));

  describe("shard map lineage and actions", () => {
    let streamId: string;
    let left: MapShardletOut;
    let right: MapShardletOut;

    beforeAll(async () => {
      const res = await h.call<{ id: string }>("mutation", "streams.create", { name: "lineage", shardCount: 1, shardletsPerShard: 2 }, operator);
      streamId = res.data!.id;
      const map = await h.call<MapOut>("query", "shardmap.byHost", { streamId }, viewer);
      [left, right] = map.data!.hosts.flatMap((x) => x.shardlets) as [MapShardletOut, MapShardletOut];
    });

    it("marks the shardlets the last placement run found archived", async () => {
      const bandit = new PlacementBandit();
      await writePlacementState(h.redis, h.prefix, { lastRunAt: Date.now(), bandit, pending: [], recent: [], archived: { [left.id]: { events: 1_200, bytes: 340_000 } }, backoff: {}, replicas: {}, pins: {}, cacheSeen: {}, moves: {}, moveCooldown: {} });
      const map = await h.call<MapOut>("query", "shardmap.byHost", { streamId }, viewer);
      const byId = new Map(map.data!.hosts.flatMap((x) => x.shardlets).map((s) => [s.id, s.archived]));
      expect(byId.get(left.id)).toEqual({ events: 1_200, bytes: 340_000 });
      expect(byId.get(right.id)).toBeNull();
      await h.redis.del(placementStateKey(h.prefix));
    });

    it("offers a merge only with the adjacent right neighbour of the same shard and host", () => {
      expect(left.range.hi).toBe(right.range.lo);
      expect(left.mergeRightId).toBe(right.id);
      expect(right.mergeRightId).toBeNull();
      expect(left.lineage).toEqual({ kind: "initial" });
    });

    it("queues a split through the job catalog, logs who asked and refuses viewers", async () => {
      const denied = await h.call("mutation", "shardmap.split", { shardletId: left.id }, viewer);
      expect(denied.status).toBe(403);
      expect(await queuedJobs(h)).toEqual([]);

      const res = await h.call<{ jobId: string; message: string }>("mutation", "shardmap.split", { shardletId: left.id }, operator);
      expect(res.status).toBe(200);
      expect(res.data?.message).toMatch(/^Split of shardlet 0x00000000–0x7fffffff queued\.$/);
      const jobs = await queuedJobs(h);
      expect(jobs).toEqual([
        { name: "shardlet.split", data: { shardletId: left.id, reason: `split requested by ${operatorEmail}`, actor: operatorEmail }, attempts: 5 },
      ]);
      const ops = await h.call<{ operations: Array<{ kind: string; actor: string; shardletId: string; details: { jobId: string } }> }>(
        "query",
        "operations.list",
        { category: "splits" },
        viewer,
      );
      expect(ops.data?.operations[0]).toMatchObject({ kind: "shardlet.split.request", actor: operatorEmail, shardletId: left.id, details: { jobId: res.data!.jobId } });

      const missing = await h.call("mutation", "shardmap.split", { shardletId: "nope" }, operator);
      expect(missing.status).toBe(404);
    });

    it("queues a merge of adjacent shardlets and refuses pairs that are not neighbours", async () => {
      const backwards = await h.call("mutation", "shardmap.merge", { leftId: right.id, rightId: left.id }, operator);
      expect(backwards.status).toBe(409);
      expect(backwards.error?.message).toMatch(/not adjacent/);

      const res = await h.call<{ message: string }>("mutation", "shardmap.merge", { leftId: left.id, rightId: right.id }, operator);
      expect(res.status).toBe(200);
      expect(res.data?.message).toBe("Merge into shardlet 0x00000000–0xffffffff queued.");
      const merge = (await queuedJobs(h)).find((j) => j.name === "shardlet.merge");
      expect(merge?.data).toEqual({ leftId: left.id, rightId: right.id, reason: `merge requested by ${operatorEmail}`, actor: operatorEmail });
      const ops = await h.call<{ operations: Array<{ kind: string }> }>("query", "operations.list", { category: "merges" }, viewer);
      expect(ops.data?.operations.map((o) => o.kind)).toEqual(["shardlet.merge.request"]);
    });

    it("shows split and merge lineage, fallback counts, and retired shardlets only on request", async () => {
      // What a finished split leaves behind: the parent retired, two children pointing at it.
      const parent = await h.db.shardlet.findUniqueOrThrow({ where: { id: left.id } });
      const mid = Number(parent.lo) + 0x100000;
      await h.db.shardlet.update({ where: { id: parent.id }, data: { state: "retired", retiredAt: new Date() } });
      const base = { streamId, shardId: parent.shardId, hostId: parent.hostId, capacityBytes: parent.capacityBytes, parentId: parent.id };
      const a = await h.db.shardlet.create({ data: { ...base, lo: parent.lo, hi: BigInt(mid), fallbackCount: 7n } });
      const b = await h.db.shardlet.create({ data: { ...base, lo: BigInt(mid), hi: parent.hi } });
      // And a merge of b with the old right neighbour.
      await h.db.shardlet.updateMany({ where: { id: { in: [b.id, right.id] } }, data: { state: "retired", retiredAt: new Date() } });
      const merged = await h.db.shardlet.create({
        data: { ...base, lo: BigInt(mid), hi: BigInt(HASH_SPACE), parentId: b.id, mergedFromId: right.id },
      });

      const map = await h.call<MapOut>("query", "shardmap.byHost", { streamId }, viewer);
      const live = map.data!.hosts.flatMap((x) => x.shardlets);
      expect(live.map((s) => s.id)).toEqual([a.id, merged.id]);
      const [first, second] = live as [MapShardletOut, MapShardletOut];
      expect(first.lineage).toEqual({ kind: "split", parent: { id: parent.id, range: expect.objectContaining({ loHex: "0x00000000", lastHex: "0x7fffffff" }) as unknown } });
      expect(first.fallbackCount).toBe(7);
      expect(first.mergeRightId).toBe(merged.id);
      expect(second.lineage).toMatchObject({ kind: "merge", left: { id: b.id }, right: { id: right.id } });

      const withRetired = await h.call<MapOut>("query", "shardmap.byHost", { streamId, includeRetired: true }, viewer);
      const states = withRetired.data!.hosts.flatMap((x) => x.shardlets).map((s) => s.state);
      expect(states.filter((s) => s === "retired")).toHaveLength(3);

      const retired = await h.call("mutation", "shardmap.split", { shardletId: parent.id }, operator);
      expect(retired.status).toBe(409);
      expect(retired.error?.message).toBe("This shardlet is retired; only an active shardlet can change.");
    });
  });

  describe("operations and lifecycle jobs", () => {
    it("filters operations by category, newest first", async () => {
      const ops = (kinds: string[]) => Promise.all(kinds.map((kind, i) => h.db.operation.create({ data: { kind, status: "succeeded", message: `${kind} ${i}` } })));
      await ops(["shardlet.split", "shardlet.merge", "contention", "host.down", "overflow.drain", "host.up"]);
      await h.db.operation.create({ data: { kind: "contention", status: "succeeded", message: "drained", details: { count: 12 } } });
      const list = async (category: string) =>
        (await h.call<{ operations: Array<{ kind: string }> }>("query", "operations.list", { category, limit: 50 }, viewer)).data!.operations.map((o) => o.kind);
      expect(await list("splits")).toEqual(expect.arrayContaining(["shardlet.split", "shardlet.split.request"]));
      expect((await list("splits")).every((k) => k.startsWith("shardlet.split"))).toBe(true);
      expect(await list("merges")).toEqual(expect.arrayContaining(["shardlet.merge", "shardlet.merge.request"]));
      expect(await list("contention")).toEqual(["contention", "contention"]);
      expect((await list("hosts")).sort()).toEqual(["host.down", "host.up"]);
      expect((await list("all")).length).toBeGreaterThan(8);
    });

    it("counts splits, merges and contention of the last hour on the overview", async () => {
      const old = new Date(Date.now() - 2 * 3600_000);
      await h.db.operation.create({ data: { kind: "shardlet.split", status: "succeeded", message: "old", startedAt: old } });
      await h.db.operation.create({ data: { kind: "shardlet.split", status: "failed", message: "failed" } });
      const res = await h.call<{ lifecycle: { splitsLastHour: number; mergesLastHour: number; contentionLastHour: number } }>(
        "query",
        "overview.summary",
        undefined,
        viewer,
      );
      // Requests and failures are not splits; one finished split and one merge were recorded above.
      // Contention counts events: 12 from the record with a count, 1 from the one without.
      expect(res.data?.lifecycle).toEqual({ splitsLastHour: 1, mergesLastHour: 1, contentionLastHour: 13 });
    });

    it("refuses a manual change of a shardlet another job is already changing", async () => {
      const created = await h.call<{ id: string }>("mutation", "streams.create", { name: "busy", shardCount: 1, shardletsPerShard: 2 }, operator);
      const [l, r] = await h.db.shardlet.findMany({ where: { streamId: created.data!.id }, orderBy: { lo: "asc" } });
      // Planned, not yet locked: the shardlet is still active, but a job owns it.
      await h.db.lifecycleJob.create({
        data: { kind: "split", streamId: created.data!.id, hostId: l!.hostId, phase: "planned", sourceIds: [l!.id], childIds: ["c1", "c2"], reason: "test" },
      });
      const before = (await queuedJobs(h)).length;
      const split = await h.call("mutation", "shardmap.split", { shardletId: l!.id }, operator);
      expect(split.status).toBe(409);
      expect(split.error?.message).toBe("This shardlet is already being changed by a split (phase planned).");
      const merge = await h.call("mutation", "shardmap.merge", { leftId: l!.id, rightId: r!.id }, operator);
      expect(merge.status).toBe(409);
      expect(merge.error?.message).toBe("The left shardlet is already being changed by a split (phase planned).");
      expect((await queuedJobs(h)).length).toBe(before);
      await h.db.lifecycleJob.deleteMany({ where: { streamId: created.data!.id } });
    });

    it("lists running lifecycle jobs first, then finished ones, with ranges and durations", async () => {
      const stream = await h.db.stream.findFirstOrThrow({ where: { name: "lineage" } });
      const [s1, s2] = await h.db.shardlet.findMany({ where: { streamId: stream.id }, orderBy: { lo: "asc" }, take: 2 });
      const started = new Date(Date.now() - 5_000);
      const finished = await h.db.lifecycleJob.create({
        data: {
          kind: "split",
          streamId: stream.id,
          hostId: s1!.hostId,
          phase: "done",
          sourceIds: [s1!.id],
          childIds: [s2!.id, "gone"],
          splitAt: 0x100000n,
          reason: "fullness 0.91 > 0.8",
          rowsMoved: 1234n,
          drained: 5n,
          createdAt: started,
          finishedAt: new Date(started.getTime() + 1500),
        },
      });
      const running = await h.db.lifecycleJob.create({
        data: { kind: "merge", streamId: stream.id, hostId: s1!.hostId, phase: "moving", sourceIds: [s1!.id, s2!.id], childIds: [], reason: "cold", actor: operatorEmail },
      });
      const res = await h.call<{
        jobs: Array<{
          id: string;
          running: boolean;
          streamName: string;
          durationMs: number;
          splitAt: number | null;
          rowsMoved: number;
          drained: number;
          sources: Array<{ id: string; range: RangeOut | null }>;
          children: Array<{ id: string; range: RangeOut | null }>;
        }>;
      }>("query", "operations.lifecycleJobs", undefined, viewer);
      expect(res.status).toBe(200);
      const jobs = res.data!.jobs;
      expect(jobs.map((j) => j.id)).toEqual([running.id, finished.id]);
      expect(jobs[0]).toMatchObject({ running: true, streamName: "lineage" });
      expect(jobs[1]).toMatchObject({ running: false, durationMs: 1500, splitAt: 0x100000, rowsMoved: 1234, drained: 5 });
      expect(jobs[1]!.sources[0]!.range?.loHex).toBe("0x00000000");
      expect(jobs[1]!.children.map((c) => c.range === null)).toEqual([false, true]);
    });
  });
});

describe("lifecycle console api (two hosts)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 2 });
  });
  afterAll(async () => {
    await h.close();
  });

  it("refuses to merge neighbours on different hosts", async () => {
    const operator = await h.sessionFor("operator");
    const created = await h.call<{ id: string }>("mutation", "streams.create", { name: "spread", shardCount: 1, shardletsPerShard: 2 }, operator);
    const map = await h.call<MapOut>("query", "shardmap.byHost", { streamId: created.data!.id }, operator);
    const all = map.data!.hosts.flatMap((x) => x.shardlets).sort((a, b) => a.range.lo - b.range.lo);
    expect(all.map((s) => s.mergeRightId)).toEqual([null, null]);
    const res = await h.call("mutation", "shardmap.merge", { leftId: all[0]!.id, rightId: all[1]!.id }, operator);
    expect(res.status).toBe(409);
    expect(res.error?.message).toBe("The shardlets live on different hosts and cannot merge.");
    expect(await queuedJobs(h)).toEqual([]);
  });
});

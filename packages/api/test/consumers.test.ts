import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSUMER_SETTINGS_KEY } from "@shardcast/core";
import { addConsumerMember, createStream, ensureConsumerGroup, getAnalyzerSettings, getSettings, listOperations, listShardlets, reconcileConsumerGroup, recordAnalyzerRun } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
let viewer: string;
let operator: string;
let admin: string;

beforeAll(async () => {
  h = await startHarness();
  [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  const stream = await createStream(h.db, h.hosts, { name: "orders", shardCount: 2 });
  const g = await ensureConsumerGroup(h.db, { streamId: stream.id, name: "billing", startSeq: 0 });
  await addConsumerMember(h.db, { groupId: g.id, name: "billing-1", sessionTimeoutMs: 60_000 });
  await addConsumerMember(h.db, { groupId: g.id, name: "billing-2", sessionTimeoutMs: 60_000 });
  await reconcileConsumerGroup(h.db, g.id, { now: Date.now(), handoffTimeoutMs: 1_000, sealCursors: () => Promise.resolve(new Map()) });
});
afterAll(() => h?.close());

interface GroupView {
  members: Array<{ name: string; shardlets: number }>;
  assignments: Array<{ memberName: string | null; checkpointSeq: number | null }>;
  checkpoints: Array<{ trigger: string; reason: string }>;
  events: Array<{ kind: string }>;
}

describe("consumer procedures", () => {
  it("shows a group's reads beside the analyzer's read forecast of it", async () => {
    type Reads = { reads: { bucketSec: number; boundaryMs: number; model: string | null; points: Array<{ t: number; actual: number | null; forecast: number | null }> } };
    const before = await h.call<Reads>("query", "consumers.group", { stream: "orders", group: "billing" }, viewer);
    expect(before.status).toBe(200);
    expect(before.data!.reads.model).toBeNull();
    expect(before.data!.reads.points).toHaveLength(30);
    expect(before.data!.reads.points.every((p) => p.actual === 0 && p.forecast === null)).toBe(true);

    // A run that forecast the group's reads at the analyzer's step, from the current step on.
    const stream = (await h.db.stream.findFirstOrThrow({ where: { name: "orders" } })).id;
    const group = (await ensureConsumerGroup(h.db, { streamId: stream, name: "billing", startSeq: 0 })).id;
    const stepMs = (await getAnalyzerSettings(h.db)).bucketSec * 1000;
    const startMs = Math.floor(Date.now() / stepMs) * stepMs;
    const bucketSec = stepMs / 1000;
    await recordAnalyzerRun(h.db, { at: new Date(), horizonSec: 3 * bucketSec, bucketSec, modelVersionId: null, ranking: [], forecastStartMs: startMs, forecasts: [], groupReadForecasts: { [group]: { values: [40, 50, 60], model: "weekly_median" } } });
    const after = await h.call<Reads>("query", "consumers.group", { stream: "orders", group: "billing" }, viewer);
    expect(after.data!.reads).toMatchObject({ model: "weekly_median", boundaryMs: startMs });
    expect(after.data!.reads.points.filter((p) => p.forecast !== null).map((p) => p.forecast)).toEqual([40, 50, 60]);
  });

  it("lists a stream's groups and shows one with its members, assignments, checkpoints and events", async () => {
    const groups = await h.call<{ groups: Array<{ group: string; members: number; shardlets: number }> }>("query", "consumers.groups", { stream: "orders" }, viewer);
    expect(groups.status).toBe(200);
    expect(groups.data?.groups).toEqual([expect.objectContaining({ group: "billing", members: 2, shardlets: 2 })]);

    const g = await h.call<GroupView>("query", "consumers.group", { stream: "orders", group: "billing" }, viewer);
    expect(g.status).toBe(200);
    expect(g.data!.members.map((m) => m.shardlets)).toEqual([1, 1]);
    expect(g.data!.assignments.every((a) => a.memberName !== null && a.checkpointSeq === 0)).toBe(true);
    expect(g.data!.checkpoints.every((c) => c.trigger === "lineage" && c.reason === "first assignment")).toBe(true);
    expect(g.data!.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["join", "assign"]));

    const overview = await h.call<{ consumers: Array<{ group: string; stream: string }> }>("query", "overview.summary", {}, viewer);
    expect(overview.data?.consumers).toEqual([expect.objectContaining({ group: "billing", stream: "orders" })]);
  });

  it("names every shardlet by its hash range, and a lineage hand-off by the ranges it continued", async () => {
    const stream = await createStream(h.db, h.hosts, { name: "payments", shardCount: 1 });
    const g = await ensureConsumerGroup(h.db, { streamId: stream.id, name: "ledger", startSeq: 0 });
    await addConsumerMember(h.db, { groupId: g.id, name: "ledger-1", sessionTimeoutMs: 60_000 });
    const reconcile = () => reconcileConsumerGroup(h.db, g.id, { now: Date.now(), handoffTimeoutMs: 1_000, sealCursors: () => Promise.resolve(new Map()) });
    await reconcile();
    // What a finished split leaves behind: the parent retired, two children pointing at it.
    const [parentInfo] = await listShardlets(h.db, { streamId: stream.id });
    const parent = await h.db.shardlet.findUniqueOrThrow({ where: { id: parentInfo!.id } });
    const mid = parent.lo + (parent.hi - parent.lo) / 2n;
    await h.db.shardlet.update({ where: { id: parent.id }, data: { state: "retired", retiredAt: new Date() } });
    const base = { streamId: stream.id, shardId: parent.shardId, hostId: parent.hostId, capacityBytes: parent.capacityBytes, parentId: parent.id };
    const left = await h.db.shardlet.create({ data: { ...base, lo: parent.lo, hi: mid } });
    const right = await h.db.shardlet.create({ data: { ...base, lo: mid, hi: parent.hi } });
    await reconcile();

    type Range = { loHex: string; lastHex: string } | null;
    type Ref = { id: string; range: Range };
    const g2 = await h.call<{
      assignments: Array<{ shardletId: string; range: Range }>;
      checkpoints: Array<{ shardletId: string; range: Range; trigger: string; reason: string; handedOnFrom: Ref[] }>;
      events: Array<{ kind: string; shardlets: number; shardletRefs: Ref[] }>;
    }>("query", "consumers.group", { stream: "payments", group: "ledger" }, viewer);
    expect(g2.status).toBe(200);
    const hex = (n: bigint) => `0x${n.toString(16).padStart(8, "0")}`;
    const rangeOf = (lo: bigint, hi: bigint) => `${hex(lo)}–${hex(hi - 1n)}`;
    const label = (r: Range) => (r ? `${r.loHex}–${r.lastHex}` : null);
    const refLabels = (refs: Ref[]) => refs.map((r) => [r.id, label(r.range)]);
    expect(g2.data!.assignments.map((a) => [a.shardletId, label(a.range)]).sort()).toEqual(
      [
        [left.id, rangeOf(left.lo, left.hi)],
        [right.id, rangeOf(right.lo, right.hi)],
      ].sort(),
    );
    const handedOn = g2.data!.checkpoints.filter((c) => c.trigger === "lineage" && c.shardletId !== parent.id);
    expect(handedOn).toHaveLength(2);
    for (const c of handedOn) {
      // The stored reason names the parent by id; the view gets its range beside it.
      expect(c.reason).toBe(`handed on from ${parent.id}`);
      expect(refLabels(c.handedOnFrom)).toEqual([[parent.id, rangeOf(parent.lo, parent.hi)]]);
    }
    // The retired parent's own first assignment keeps its range and continued nothing.
    const first = g2.data!.checkpoints.find((c) => c.shardletId === parent.id);
    expect(first).toMatchObject({ reason: "first assignment", handedOnFrom: [] });
    expect(label(first!.range)).toBe(rangeOf(parent.lo, parent.hi));
    const lineageEvent = g2.data!.events.find((e) => e.kind === "lineage");
    expect(lineageEvent?.shardlets).toBe(2);
    expect(lineageEvent?.shardletRefs.map((r) => r.id).sort()).toEqual([left.id, right.id].sort());
    expect(lineageEvent?.shardletRefs.every((r) => r.range !== null)).toBe(true);
  });

  it("answers 401 without a session and 404 for unknown streams and groups", async () => {
    expect((await h.call("query", "consumers.groups", { stream: "orders" })).status).toBe(401);
    expect((await h.call("query", "consumers.groups", { stream: "nope" }, viewer)).status).toBe(404);
    expect((await h.call("query", "consumers.group", { stream: "orders", group: "nope" }, viewer)).status).toBe(404);
  });

  it("lets admins change the checkpoint settings, validated and audited; others only read them", async () => {
    const read = await h.call<{ settings: { checkpointThresholdSec: number } }>("query", "consumers.settings", undefined, viewer);
    expect(read.status).toBe(200);
    const current = read.data!.settings;
    const wanted = { ...current, checkpointMode: "fixed", fixedIntervalSec: 10, checkpointThresholdSec: 12 };

    expect((await h.call("mutation", "consumers.updateSettings", wanted, operator)).status).toBe(403);
    const bad = await h.call("mutation", "consumers.updateSettings", { ...wanted, maxReplaySec: 5 }, admin);
    expect(bad.status).toBe(400);
    expect((await getSettings(h.db))[CONSUMER_SETTINGS_KEY]).toBeUndefined();

    const ok = await h.call<{ changed: string[] }>("mutation", "consumers.updateSettings", wanted, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["checkpointMode", "checkpointThresholdSec", "fixedIntervalSec"]);
    expect((await getSettings(h.db))[CONSUMER_SETTINGS_KEY]).toMatchObject({ checkpointMode: "fixed", fixedIntervalSec: 10 });
    const again = await h.call<{ audit: Array<{ changes: Array<{ field: string }> }> }>("query", "consumers.settings", undefined, viewer);
    expect(again.data!.audit[0]!.changes.map((c) => c.field).sort()).toEqual(["checkpointMode", "checkpointThresholdSec", "fixedIntervalSec"]);
    const ops = await listOperations(h.db, { limit: 5 });
    expect(ops.some((o) => o.kind === "settings.update" && o.message.startsWith("changed consumer settings"))).toBe(true);
  });
});

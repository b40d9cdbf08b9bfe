import { describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { useLifecycleConsole } from "./lifecycle-harness.ts";

interface Totals {
  events: number;
  bytes: number;
  shardlets: number;
}

/**
 * A split that has prepared its children but not switched: the children carry counted totals of
 * rows the splitting source still carries. Every total must count those rows once.
 */
describe("totals while a split is under way", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  useLifecycleConsole((c) => ({ h, viewer, operator } = c));

  const overview = async () => (await h.call<{ totals: Totals }>("query", "overview.summary", undefined, viewer)).data!.totals;
  const hostTotals = async (streamId: string) => {
    const map = await h.call<{ hosts: Array<{ shardletBytes: number; eventCount: number }> }>("query", "shardmap.byHost", { streamId }, viewer);
    return map.data!.hosts.map((x) => ({ bytes: x.shardletBytes, events: x.eventCount }));
  };
  const streamTotals = async (name: string) => {
    const list = await h.call<{ streams: Array<{ name: string; sizeBytes: number; eventCount: number; shardletCount: number }> }>("query", "streams.list", undefined, viewer);
    const s = list.data!.streams.find((x) => x.name === name)!;
    return { bytes: s.sizeBytes, events: s.eventCount, shardlets: s.shardletCount };
  };

  it("counts a splitting shardlet's events once on the overview, the shard map and the streams list", async () => {
    const created = await h.call<{ id: string }>("mutation", "streams.create", { name: "mid-split", shardCount: 1, shardletsPerShard: 1 }, operator);
    const streamId = created.data!.id;
    const parent = await h.db.shardlet.findFirstOrThrow({ where: { streamId } });
    await h.db.shardlet.update({ where: { id: parent.id }, data: { eventCount: 1_000n, sizeBytes: 64_000n } });
    const before = { overview: await overview(), hosts: await hostTotals(streamId), stream: await streamTotals("mid-split") };
    expect(before.stream).toEqual({ bytes: 64_000, events: 1_000, shardlets: 1 });

    // What the split's `moving` step leaves: the source splitting, two pending children counted.
    await h.db.shardlet.update({ where: { id: parent.id }, data: { state: "splitting" } });
    const mid = (Number(parent.lo) + Number(parent.hi)) / 2;
    const base = { streamId, shardId: parent.shardId, hostId: parent.hostId, capacityBytes: parent.capacityBytes, parentId: parent.id, state: "pending" as const };
    await h.db.shardlet.create({ data: { ...base, lo: parent.lo, hi: BigInt(mid), eventCount: 400n, sizeBytes: 25_600n } });
    await h.db.shardlet.create({ data: { ...base, lo: BigInt(mid), hi: parent.hi, eventCount: 600n, sizeBytes: 38_400n } });

    expect(await overview()).toEqual(before.overview);
    expect(await hostTotals(streamId)).toEqual(before.hosts);
    expect(await streamTotals("mid-split")).toEqual(before.stream);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash, type ShardletRoute } from "@shardcast/core";
import { loadRoutes } from "@shardcast/db";
import { deleteRangeRows, readRangeRows, SHADOW_FENCE_STATE, writeCopiedRows } from "@shardcast/db/host";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * The edge's side of a migration: shadow writes to the destination while a shardlet is copied
 * (never failing the acknowledgement), and reads that stay complete with a route one change
 * behind (they read the shadow host too) or older (a key read that finds the shardlet moved off
 * the host its route names re-routes).
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stream: "moves" });
});
afterAll(() => h?.close());

type Ack = { events: Array<{ seq: number; duplicate: boolean }> };
let n = 0;

function keyIn(r: { lo: number; hi: number }): string {
  for (;;) {
    const k = `shadow-key-${n++}`;
    const hash = keyHash(k);
    if (hash >= r.lo && hash < r.hi) return k;
  }
}

async function rowsIn(hostId: string, r: ShardletRoute): Promise<Array<{ seq: number; id: string | null }>> {
  const rows = await readRangeRows(await h.hosts.get(hostId), { streamId: h.streamId, lo: r.lo, hi: r.hi, afterSeq: 0, upToSeq: null, limit: 10_000 });
  return rows.map((x) => ({ seq: x.seq, id: x.eventId }));
}

/** What the mover does when it starts a copy: epoch + 1 on the source, a shadow fence on the destination. */
async function startCopy(r: ShardletRoute, destHostId: string, opts: { destReachable?: boolean } = {}): Promise<ShardletRoute> {
  const epoch = r.epoch + 1;
  await h.edge.routing.get(h.stream);
  if (opts.destReachable !== false) {
    await (await h.hosts.get(destHostId)).setFence(r.id, h.streamId, epoch, SHADOW_FENCE_STATE, { lo: r.lo, hi: r.hi });
  }
  await h.db.$transaction([
    h.db.shardlet.update({ where: { id: r.id }, data: { epoch } }),
    h.db.migration.create({
      data: { streamId: h.streamId, shardletId: r.id, sourceHostId: r.hostId, destHostId, phase: "copying", origin: "manual", reason: "test", shardletEpoch: r.epoch },
    }),
  ]);
  await (await h.hosts.get(r.hostId)).setFence(r.id, h.streamId, epoch, "active");
  const fresh = (await h.edge.routing.refreshById(h.streamId))!.table.byId(r.id)!;
  expect(fresh).toMatchObject({ epoch, shadowHostId: destHostId });
  return fresh;
}

async function routes(): Promise<ShardletRoute[]> {
  return loadRoutes(h.db, h.streamId);
}

const used = new Set<string>();
/** A shardlet no earlier test touched, on one of the cluster's hosts. */
async function untouched(): Promise<ShardletRoute> {
  const r = (await routes()).find((x) => !x.shadowHostId && h.hostIds.includes(x.hostId) && !used.has(x.id));
  if (!r) throw new Error("no untouched shardlet left");
  used.add(r.id);
  return r;
}

describe("shadow writes", () => {
  let route: ShardletRoute;
  let dest: string;

  beforeAll(async () => {
    const r = await untouched();
    dest = h.hostIds.find((id) => id !== r.hostId)!;
    route = await startCopy(r, dest);
  });

  it("writes a migrating shardlet's new events to the destination as well, once each", async () => {
    const before = { ...h.edge.shadowWrites };
    const events = Array.from({ length: 12 }, (_, i) => ({ key: keyIn(route), id: `sh-${i}` }));
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events });
    expect(res.status).toBe(200);
    // A repeated id is stored once on the source and not shadow-written again.
    const again = await post(h, `/v1/streams/${h.stream}/events`, { events: [events[0], { key: keyIn(route), id: "sh-new" }] });
    expect(again.status).toBe(200);
    expect((again.body as unknown as Ack).events[0]!.duplicate).toBe(true);

    const onSource = await rowsIn(route.hostId, route);
    const onDest = await rowsIn(dest, route);
    expect(onSource).toHaveLength(13);
    expect(onDest).toEqual(onSource);
    expect(h.edge.shadowWrites.written - before.written).toBe(13);
    // The destination's accounting is left to the switch (it counts the range then).
    const deltas = await (await h.hosts.get(dest)).withClient((c) => c.query("SELECT 1 FROM sc_stat_delta WHERE shardlet_id = $1", [route.id]));
    expect(deltas.rowCount).toBe(0);
  });

  it("acknowledges when the destination's fence refuses, and counts the refusal", async () => {
    const before = { ...h.edge.shadowWrites };
    const destDriver = await h.hosts.get(dest);
    await destDriver.deleteFences([route.id]);
    try {
      const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: keyIn(route), id: "refused-1" }, { key: keyIn(route), id: "refused-2" }] });
      expect(res.status).toBe(200);
      expect(h.edge.shadowWrites.refused - before.refused).toBe(2);
      expect((await rowsIn(dest, route)).map((r) => r.id)).not.toContain("refused-1");
      expect((await rowsIn(route.hostId, route)).map((r) => r.id)).toContain("refused-1");
    } finally {
      await destDriver.setFence(route.id, h.streamId, route.epoch, SHADOW_FENCE_STATE, { lo: route.lo, hi: route.hi });
    }
  });

  it("acknowledges when the destination is unreachable, and counts the failure", async () => {
    const other = await untouched();
    const down = await h.db.host.create({
      data: { name: "unreachable", dsn: "postgres://postgres@127.0.0.1:1/nothing", capacityBytes: 1n << 30n, capacityEventsPerSec: 1000 },
    });
    const moved = await startCopy(other, down.id, { destReachable: false });
    try {
      const before = { ...h.edge.shadowWrites };
      const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: keyIn(moved), id: "down-1" }] });
      expect(res.status).toBe(200);
      expect(h.edge.shadowWrites.failed - before.failed).toBe(1);
      expect((await rowsIn(moved.hostId, moved)).map((r) => r.id)).toContain("down-1");
    } finally {
      // The copy is given up, as the mover would: reads by position read a shadow host too, and
      // this one never answers.
      await h.db.migration.deleteMany({ where: { shardletId: moved.id } });
      await h.edge.routing.refreshById(h.streamId);
    }
  });
});

describe("reads with routes that are behind", () => {
  it("stay complete across the switch while the route still names the source and the shadow host", async () => {
    const r = await untouched();
    const dest = h.hostIds.find((id) => id !== r.hostId)!;
    const key = keyIn(r);
    const first = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "sw-1" }] });
    expect(first.status).toBe(200);
    const route = await startCopy(r, dest);
    // Copy, then (behind the edge's back, no announcement) switch and clean the source at once,
    // and store a new event on the destination only, as a writer with the new route would.
    const src = await h.hosts.get(route.hostId);
    const dst = await h.hosts.get(dest);
    const copied = await readRangeRows(src, { streamId: h.streamId, lo: r.lo, hi: r.hi, afterSeq: 0, upToSeq: null, limit: 1000 });
    await writeCopiedRows(dst, { streamId: h.streamId, shardletId: r.id, epoch: route.epoch, states: [SHADOW_FENCE_STATE], rows: copied });
    await dst.setFence(r.id, h.streamId, route.epoch + 1, "active");
    await src.setFence(r.id, h.streamId, route.epoch + 1, "moved");
    await h.db.shardlet.update({ where: { id: r.id }, data: { hostId: dest, epoch: route.epoch + 1 } });
    await h.db.migration.updateMany({ where: { shardletId: r.id }, data: { phase: "cleanup" } });
    const late = { ...copied[0]!, seq: copied[0]!.seq + 1_000_000, eventId: "sw-late" };
    await writeCopiedRows(dst, { streamId: h.streamId, shardletId: r.id, epoch: route.epoch + 1, states: ["active"], rows: [late] });
    while ((await deleteRangeRows(src, { streamId: h.streamId, lo: r.lo, hi: r.hi, limit: 1000 })) > 0);
    expect((await h.edge.routing.get(h.stream))!.table.byId(r.id)).toMatchObject({ hostId: route.hostId, shadowHostId: dest });

    const byKey = await get(h, `/v1/streams/${h.stream}/keys/${key}/events`);
    expect((byKey.body.events as Array<{ id: string }>).map((e) => e.id)).toEqual(["sw-1", "sw-late"]);
  });

  /** Writes one event in `r`, then moves `r` and cleans up (rows, then the fence) while the edge hears nothing. */
  async function moveBehindEdge(r: ShardletRoute, id: string): Promise<{ seq: number; key: string; dest: string }> {
    const dest = h.hostIds.find((x) => x !== r.hostId)!;
    const key = keyIn(r);
    const ack = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id }] });
    expect(ack.status).toBe(200);
    await h.edge.routing.refreshById(h.streamId);
    const src = await h.hosts.get(r.hostId);
    const dst = await h.hosts.get(dest);
    await dst.setFence(r.id, h.streamId, r.epoch + 2, "active", { lo: r.lo, hi: r.hi });
    const rows = await readRangeRows(src, { streamId: h.streamId, lo: r.lo, hi: r.hi, afterSeq: 0, upToSeq: null, limit: 1000 });
    await writeCopiedRows(dst, { streamId: h.streamId, shardletId: r.id, epoch: r.epoch + 2, states: ["active"], rows });
    await h.db.shardlet.update({ where: { id: r.id }, data: { hostId: dest, epoch: r.epoch + 2 } });
    while ((await deleteRangeRows(src, { streamId: h.streamId, lo: r.lo, hi: r.hi, limit: 1000 })) > 0);
    await src.deleteFences([r.id]);
    expect((await h.edge.routing.get(h.stream))!.table.byId(r.id)).toMatchObject({ hostId: r.hostId, shadowHostId: null });
    return { seq: (ack.body.events as Array<{ seq: number }>)[0]!.seq, key, dest };
  }

  it("re-route a key read whose route predates the whole move", async () => {
    const r = await untouched();
    const { key, dest } = await moveBehindEdge(r, "old-route-1");
    const byKey = await get(h, `/v1/streams/${h.stream}/keys/${key}/events`);
    expect((byKey.body.events as Array<{ id: string }>).map((e) => e.id)).toEqual(["old-route-1"]);
    expect((await h.edge.routing.get(h.stream))!.table.byId(r.id)?.hostId).toBe(dest);
  });

  it("re-route a position read whose route predates the whole move, cleanup included", async () => {
    const r = await untouched();
    const { seq, dest } = await moveBehindEdge(r, "gone-fence-1");
    const byPosition = await get(h, `/v1/streams/${h.stream}/events?after=${seq - 1}&limit=1`);
    expect(byPosition.status).toBe(200);
    expect((byPosition.body.events as Array<{ id: string }>).map((e) => e.id)).toEqual(["gone-fence-1"]);
    expect((await h.edge.routing.get(h.stream))!.table.byId(r.id)?.hostId).toBe(dest);
  });

  it("re-route a shardlet read whose route predates the whole move, cleanup included", async () => {
    const r = await untouched();
    const { seq, dest } = await moveBehindEdge(r, "gone-fence-2");
    const page = await get(h, `/v1/streams/${h.stream}/shardlets/${r.id}/events?after=${seq - 1}&limit=1`);
    expect(page.status).toBe(200);
    expect((page.body.events as Array<{ id: string }>).map((e) => e.id)).toEqual(["gone-fence-2"]);
    expect((await h.edge.routing.get(h.stream))!.table.byId(r.id)?.hostId).toBe(dest);
  });
});

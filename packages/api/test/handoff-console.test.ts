import { beforeAll, describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { MIB, useMigrationsConsole, type MigrationsConsole, type Rejected } from "./migrations-harness.ts";

/**
 * What hand-offs leave, as the console shows it: the sealed source on the shard map (apart from
 * the live shardlets, with where its history is and until when), the successor's history on
 * another host, the hosts' sealed history and a draining host's choice for it, the stream's
 * history, and the move settings that choose how moves are made. A hand-off is laid out in the
 * control database as the worker's switch leaves it (source sealed, successor active on the
 * destination); the worker's own tests run the hand-off itself.
 */

interface HistoryOut {
  hostId: string;
  hostName: string;
  shardlets: number;
  sizeBytes: number;
  eventCount: number;
  expiresAt: Date;
}
interface MapShardlet {
  id: string;
  state: string;
  sealed: { sealedAt: Date; expiresAt: Date } | null;
  historyElsewhere: HistoryOut[];
}
interface MapHost {
  id: string;
  name: string;
  liveShardlets: number;
  eventCount: number;
  shardletBytes: number;
  history: { shardlets: number; sizeBytes: number; eventCount: number; firstExpiresAt: Date; lastExpiresAt: Date } | null;
  shardlets: MapShardlet[];
}
interface HostOut {
  id: string;
  name: string;
  status: string;
  shardletCount: number;
  history: { shardlets: number; sizeBytes: number; eventCount: number; lastExpiresAt: Date } | null;
  drainHistory: "expire" | "copy" | null;
  historyCopiesOpen: number;
}

const HOUR = 3_600_000;
const RETENTION_MS = 168 * HOUR;

describe("hand-offs in the console api", () => {
  let h: Harness;
  let viewer: string;
  let admin: string;
  let streamId: string;
  let shardlets: MigrationsConsole["shardlets"];
  let propose: MigrationsConsole["propose"];

  useMigrationsConsole((c) => ({ h, viewer, admin, streamId, shardlets, propose } = c));

  // Shardlet 0 (on h1) handed off to h2: sealed an hour ago with 3 MiB and 900 events of history;
  // its successor takes the range's writes on h2.
  const sealedAt = new Date(Date.now() - HOUR);
  let source: { id: string; hostId: string };
  let successorId: string;
  let h1: string;
  let h2: string;

  beforeAll(async () => {
    [h1, h2] = h.hostIds as [string, string];
    source = shardlets[0]!;
    expect(source.hostId).toBe(h1);
    const row = await h.db.shardlet.update({
      where: { id: source.id },
      data: { state: "sealed", sealedAt, writeRate: 0, sizeBytes: BigInt(3 * MIB), eventCount: 900n },
    });
    const successor = await h.db.shardlet.create({
      data: { streamId, shardId: row.shardId, lo: row.lo, hi: row.hi, hostId: h2, capacityBytes: row.capacityBytes, sizeBytes: 4_096n, eventCount: 12n, writeRate: 5 },
    });
    successorId = successor.id;
  });

  const expiresAt = () => new Date(sealedAt.getTime() + RETENTION_MS);

  it("shows the sealed shardlet apart from the live ones on the shard map, with where its history is and until when", async () => {
    const map = await h.call<{ hosts: MapHost[] }>("query", "shardmap.byHost", { streamId }, viewer);
    expect(map.status).toBe(200);
    const host = (name: string) => map.data!.hosts.find((x) => x.name === name)!;
    const row = (id: string) => map.data!.hosts.flatMap((x) => x.shardlets).find((s) => s.id === id)!;

    const sealed = row(source.id);
    expect(host("h1").shardlets.map((s) => s.id)).toContain(source.id);
    expect(sealed).toMatchObject({ state: "sealed", sealed: { sealedAt, expiresAt: expiresAt() }, historyElsewhere: [] });
    // h1 holds shardlets 0 and 3: one is live, the other history, counted apart.
    expect(host("h1").liveShardlets).toBe(1);
    expect(host("h1").history).toEqual({ shardlets: 1, sizeBytes: 3 * MIB, eventCount: 900, firstExpiresAt: expiresAt(), lastExpiresAt: expiresAt() });
    // Its figures are the live shardlet's: the sealed one's bytes and events are history.
    expect(host("h1").shardletBytes).toBe(0);
    expect(host("h1").eventCount).toBe(0);
    // The successor says where the range's older events are.
    expect(host("h2").liveShardlets).toBe(3);
    expect(host("h2").history).toBeNull();
    expect(row(successorId)).toMatchObject({ state: "active", sealed: null });
    expect(row(successorId).historyElsewhere).toEqual([{ hostId: h1, hostName: "h1", shardlets: 1, sizeBytes: 3 * MIB, eventCount: 900, expiresAt: expiresAt() }]);
    // Ranges no hand-off touched have none.
    expect(row(shardlets[1]!.id).historyElsewhere).toEqual([]);
    expect(row(shardlets[3]!.id)).toMatchObject({ sealed: null, historyElsewhere: [] });
  });

  it("lists each host's sealed history, and a draining host's choice for it with what is left", async () => {
    const hosts = async () => (await h.call<{ hosts: HostOut[] }>("query", "hosts.list", undefined, viewer)).data!.hosts;
    const byName = async (name: string) => (await hosts()).find((x) => x.name === name)!;

    const active = await byName("h1");
    expect(active).toMatchObject({ shardletCount: 1, drainHistory: null, historyCopiesOpen: 0 });
    expect(active.history).toMatchObject({ shardlets: 1, sizeBytes: 3 * MIB, eventCount: 900, lastExpiresAt: expiresAt() });
    expect((await byName("h2")).history).toBeNull();
    expect((await byName("h2")).shardletCount).toBe(3);

    // Draining, with the default choice: the history expires there.
    await h.db.host.update({ where: { id: h1 }, data: { status: "draining" } });
    expect(await byName("h1")).toMatchObject({ status: "draining", drainHistory: "expire" });
    expect((await byName("h2")).drainHistory).toBeNull();

    // Copied off instead: one copy left, and once it is proposed, one under way.
    const saved = await h.call("mutation", "migrations.updateSettings", { rebalance: { drainHistory: "copy" } }, admin);
    expect(saved.status).toBe(200);
    expect(await byName("h1")).toMatchObject({ drainHistory: "copy", historyCopiesOpen: 0 });
    await propose(0, { origin: "drain", mode: "copy", phase: "approved" });
    expect(await byName("h1")).toMatchObject({ drainHistory: "copy", historyCopiesOpen: 1, history: expect.objectContaining({ shardlets: 1 }) as unknown });
  });

  it("gives the stream's sealed history: how much, on which hosts, until when", async () => {
    const res = await h.call<{
      retentionHours: number;
      totals: { shardlets: number; sizeBytes: number; eventCount: number; lastExpiresAt: Date } | null;
      hosts: Array<{ hostName: string; shardlets: number; sizeBytes: number; lastExpiresAt: Date }>;
      sealed: Array<{ id: string; hostName: string; range: { loHex: string }; sealedAt: Date; expiresAt: Date }>;
    }>("query", "streams.history", { name: "orders" }, viewer);
    expect(res.status).toBe(200);
    expect(res.data!.retentionHours).toBe(168);
    expect(res.data!.totals).toMatchObject({ shardlets: 1, sizeBytes: 3 * MIB, eventCount: 900, lastExpiresAt: expiresAt() });
    expect(res.data!.hosts).toEqual([{ hostId: h1, hostName: "h1", shardlets: 1, sizeBytes: 3 * MIB, eventCount: 900, lastExpiresAt: expiresAt() }]);
    expect(res.data!.sealed).toEqual([expect.objectContaining({ id: source.id, hostName: "h1", sealedAt, expiresAt: expiresAt(), range: expect.objectContaining({ loHex: "0x00000000" }) as unknown })]);
    expect((await h.call("query", "streams.history", { name: "nope" }, viewer)).status).toBe(404);
    expect((await h.call("query", "streams.history", { name: "orders" }, null)).status).toBe(401);
  });

  it("stores how moves are made and what drains do with history, and refuses other words", async () => {
    const cur = await h.call<{ rebalance: Record<string, unknown>; defaults: { rebalance: Record<string, unknown> } }>("query", "migrations.settings", undefined, viewer);
    expect(cur.data!.defaults.rebalance).toMatchObject({ moveMode: "handoff", drainHistory: "expire" });
    const bad = await h.call("mutation", "migrations.updateSettings", { rebalance: { moveMode: "teleport" } }, admin);
    expect(bad.status).toBe(400);
    expect(bad.error?.data.details?.rejected?.map((r: Rejected) => r.path)).toEqual(["rebalance.moveMode"]);
    const saved = await h.call<{ changed: string[] }>("mutation", "migrations.updateSettings", { rebalance: { moveMode: "copy", drainHistory: "copy" } }, admin);
    expect(saved.status).toBe(200);
    expect(saved.data!.changed.sort()).toEqual(["rebalance.drainHistory", "rebalance.moveMode"]);
    const after = await h.call<{ rebalance: Record<string, unknown>; audit: Array<{ changes: Array<{ field: string; new: unknown }> }> }>(
      "query",
      "migrations.settings",
      undefined,
      viewer,
    );
    expect(after.data!.rebalance).toMatchObject({ moveMode: "copy", drainHistory: "copy" });
    expect(after.data!.audit[0]!.changes.map((c) => [c.field, c.new]).sort()).toEqual([
      ["drainHistory", "copy"],
      ["moveMode", "copy"],
    ]);
  });
});

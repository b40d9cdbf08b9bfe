import { describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { MIB, useMigrationsConsole, type MigrationsConsole, type Rejected } from "./migrations-harness.ts";

/**
 * Moves: the planner (runs on request, its view of host loads and notes, its and the mover's
 * settings) and the moves an operator asks for (one shardlet by hand, a whole host drained and taken back).
 */
describe("migrations console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;
  let operatorEmail: string;
  let streamId: string;
  let shardlets: MigrationsConsole["shardlets"];
  let queued: MigrationsConsole["queued"];
  let propose: MigrationsConsole["propose"];
  let get: MigrationsConsole["get"];

  useMigrationsConsole((c) => ({ h, viewer, operator, admin, operatorEmail, streamId, shardlets, queued, propose, get } = c));

  it("moves a shardlet with its history by hand when the destination has room, and refuses what cannot move", async () => {
    const s = shardlets[0]!;
    await h.db.shardlet.update({ where: { id: s.id }, data: { writeRate: 40, sizeBytes: BigInt(2 * MIB) } });
    const [, h2, h3] = h.hostIds as [string, string, string];
    expect((await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2, mode: "copy" }, viewer)).status).toBe(403);
    const res = await h.call<{ migrationId: string; message: string }>("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2, mode: "copy" }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.message).toBe("Moving orders 0x00000000–0x2aaaaaa9 to h2: the mover starts now.");
    const m = await get(res.data!.migrationId);
    expect(m).toMatchObject({ phase: "approved", origin: "manual", mode: "copy", bytesToMove: 2 * MIB, destHostName: "h2", decidedBy: operatorEmail, history: null });
    expect(m.reason).toBe(`Requested by ${operatorEmail}: move orders 0x00000000–0x2aaaaaa9 (40 events/s, 2 MiB) from h1 (40 events/s -> 0 events/s) to h2 (0 events/s -> 40 events/s).`);
    expect(await queued("migration.run")).toEqual([{ data: { migrationId: res.data!.migrationId }, dedup: `migration-${res.data!.migrationId}` }]);

    const twice = await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h3, mode: "copy" }, operator);
    expect(twice.status).toBe(409);
    expect(twice.error?.message).toBe("orders 0x00000000–0x2aaaaaa9 is already being moved.");
    const same = await h.call("mutation", "migrations.moveShardlet", { shardletId: shardlets[1]!.id, destHostId: shardlets[1]!.hostId }, operator);
    expect(same.status).toBe(409);
    expect(same.error?.message).toBe("orders 0x2aaaaaaa–0x55555554 is already on h2.");
    await h.db.host.update({ where: { id: h3 }, data: { status: "draining" } });
    const draining = await h.call("mutation", "migrations.moveShardlet", { shardletId: shardlets[1]!.id, destHostId: h3 }, operator);
    expect(draining.error?.message).toBe("h3 is draining; moves go only to active hosts.");
    // A destination without headroom.
    await h.db.host.update({ where: { id: h3 }, data: { status: "active", capacityEventsPerSec: 10 } });
    await h.db.shardlet.update({ where: { id: shardlets[1]!.id }, data: { writeRate: 50 } });
    const full = await h.call("mutation", "migrations.moveShardlet", { shardletId: shardlets[1]!.id, destHostId: h3 }, operator);
    expect(full.status).toBe(409);
    expect(full.error?.message).toMatch(/^h3 has no headroom for it: h3 after the move: 50 events\/s of 10 events\/s \(500%\)/);
    await h.db.host.update({ where: { id: h3 }, data: { capacityEventsPerSec: 5000 } });
    expect((await h.call("mutation", "migrations.moveShardlet", { shardletId: "missing", destHostId: h3 }, operator)).status).toBe(404);
    expect(await h.db.migration.count()).toBe(1);
  });

  it("hands a shardlet off by hand unless told to copy: nothing to copy, the history stays on the source", async () => {
    const s = shardlets[0]!;
    await h.db.shardlet.updateMany({ where: { streamId }, data: { writeRate: 0 } });
    await h.db.shardlet.update({ where: { id: s.id }, data: { writeRate: 40, sizeBytes: BigInt(2 * MIB) } });
    const [h1, h2] = h.hostIds as [string, string];
    // Only the two modes are taken.
    const bad = await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2, mode: "teleport" }, operator);
    expect(bad.status).toBe(400);
    expect(bad.error?.data.details?.rejected?.map((r: Rejected) => r.path)).toEqual(["mode"]);
    expect(await h.db.migration.count()).toBe(0);

    // No mode given: a hand-off.
    const res = await h.call<{ migrationId: string; message: string }>("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2 }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.message).toBe(
      "Handing orders 0x00000000–0x2aaaaaa9 off to h2: the mover starts now; no row is copied, its history stays readable on h1 until the stream's retention drops it.",
    );
    const id = res.data!.migrationId;
    const m = await get(id);
    expect(m).toMatchObject({ phase: "approved", origin: "manual", mode: "handoff", bytesToMove: 0, destHostName: "h2", history: null });
    expect(m.reason).toBe(
      `Requested by ${operatorEmail}: hand orders 0x00000000–0x2aaaaaa9 off from h1 (40 events/s -> 0 events/s) to h2 (0 events/s -> 40 events/s); ` +
        "its history (2 MiB) stays on h1, readable until the stream's retention drops it, and no row is copied.",
    );
    expect(await queued("migration.run")).toEqual([{ data: { migrationId: id }, dedup: `migration-${id}` }]);
    const listed = await h.call<{ items: Array<{ id: string; mode: string }> }>("query", "migrations.list", { view: "open" }, viewer);
    expect(listed.data!.items.map((x) => [x.id, x.mode])).toEqual([[id, "handoff"]]);
    const ops = await h.call<{ operations: Array<{ kind: string; message: string; details: unknown }> }>("query", "operations.list", { category: "all", limit: 50 }, viewer);
    expect(ops.data!.operations.find((o) => o.kind === "migration.move")).toMatchObject({
      message: "requested handing orders 0x00000000–0x2aaaaaa9 off to another host",
      details: { migrationId: id, destHostId: h2, mode: "handoff" },
    });

    // Once the hand-off sealed the source, the detail says where its history is and until when.
    const sealedAt = new Date(Date.now() - 3_600_000);
    await h.db.shardlet.update({ where: { id: s.id }, data: { state: "sealed", sealedAt, eventCount: 1_234n } });
    await h.db.migration.update({ where: { id }, data: { phase: "done", finishedAt: new Date() } });
    try {
      const done = await get(id);
      expect(done.history).toEqual({ hostId: h1, hostName: "h1", sizeBytes: 2 * MIB, eventCount: 1_234, sealedAt, expiresAt: new Date(sealedAt.getTime() + 168 * 3_600_000) });
      const history = await h.call<{ items: Array<{ id: string; mode: string }> }>("query", "migrations.list", { view: "history" }, viewer);
      expect(history.data!.items.map((x) => [x.id, x.mode])).toEqual([[id, "handoff"]]);
    } finally {
      await h.db.shardlet.update({ where: { id: s.id }, data: { state: "active", sealedAt: null } });
    }
  });

  it("drains a host (admins only) and takes it back, cancelling drain moves that had not started", async () => {
    const [h1] = h.hostIds as [string];
    const denied = await h.call("mutation", "migrations.drainHost", { hostId: h1 }, operator);
    expect(denied.status).toBe(403);
    expect(denied.error?.message).toBe("This action needs the admin role.");
    const res = await h.call<{ status: string; message: string }>("mutation", "migrations.drainHost", { hostId: h1 }, admin);
    expect(res.data).toEqual({ status: "draining", message: "h1 is draining: its shardlets are moved to the other hosts, a few at a time." });
    expect((await h.db.host.findUnique({ where: { id: h1 } }))?.status).toBe("draining");
    const plans = await queued("rebalance.plan");
    expect(plans).toHaveLength(1);
    expect((plans[0]!.data as { actor?: string }).actor).toMatch(/^admin-/);

    // The planner's drain moves (as the worker stores them), one of them already copying.
    const waiting = await propose(0, { origin: "drain", phase: "approved" });
    const running = await propose(3, { origin: "drain", phase: "approved" });
    await h.db.migration.update({ where: { id: running }, data: { phase: "copying" } });
    const back = await h.call<{ status: string; message: string }>("mutation", "migrations.drainHost", { hostId: h1, drain: false }, admin);
    expect(back.data).toEqual({ status: "active", message: "h1 is back in service; 1 drain move that had not started was cancelled." });
    expect((await get(waiting)).phase).toBe("cancelled");
    expect((await get(running)).phase).toBe("copying");
    await h.db.host.update({ where: { id: h1 }, data: { status: "down" } });
    const down = await h.call("mutation", "migrations.drainHost", { hostId: h1 }, admin);
    expect(down.status).toBe(409);
    expect(down.error?.message).toBe("Host h1 is down; it can be drained once the health probe sees it up again.");
  });

  it("plans on request", async () => {
    expect((await h.call("mutation", "migrations.planNow", undefined, viewer)).status).toBe(403);
    const res = await h.call<{ jobId: string }>("mutation", "migrations.planNow", undefined, operator);
    expect(res.status).toBe(200);
    expect((await queued("rebalance.plan")).map((j) => j.data)).toEqual([{ actor: operatorEmail }]);
  });

  it("shows host loads against the thresholds with the planner's notes", async () => {
    await h.db.shardlet.updateMany({ where: { streamId }, data: { writeRate: 0 } });
    await h.db.shardlet.update({ where: { id: shardlets[0]!.id }, data: { writeRate: 90 } });
    await h.db.shardlet.update({ where: { id: shardlets[1]!.id }, data: { writeRate: 30 } });
    await h.db.plannerNote.create({ data: { source: "rebalancer", hostId: h.hostIds[0], message: "h1 is hot but nothing fits" } });
    const res = await h.call<{
      hosts: Array<{ name: string; load: number; share: number; trigger: number; ceiling: number }>;
      notes: Array<{ message: string }>;
      lastRunAt: Date | null;
      settings: { autoApprove: boolean; window: string };
    }>("query", "migrations.planner", undefined, viewer);
    expect(res.status).toBe(200);
    expect(res.data!.hosts.map((x) => [x.name, x.load, x.share])).toEqual([
      ["h1", 90, 40],
      ["h2", 30, 40],
      ["h3", 0, 40],
    ]);
    expect(res.data!.hosts[0]!.trigger).toBeCloseTo(48, 9);
    expect(res.data!.hosts[0]!.ceiling).toBeCloseTo(44, 9);
    expect(res.data!.notes.map((n) => n.message)).toEqual(["h1 is hot but nothing fits"]);
    expect(res.data!.lastRunAt).toBeInstanceOf(Date);
    expect(res.data!.settings).toMatchObject({ autoApprove: false, window: "any time" });
  });

  describe("settings", () => {
    interface SettingsOut {
      rebalance: Record<string, unknown> & { autoApprove: boolean; tolerance: number; hysteresis: number };
      migration: Record<string, unknown> & { rowsPerSecond: number };
      defaults: { rebalance: Record<string, unknown>; migration: Record<string, unknown> };
      updatedAt: Date | null;
      audit: Array<{ key: string; actorEmail: string | null; changes: Array<{ field: string; old: unknown; new: unknown }> }>;
    }

    it("shows the defaults (auto-approve off) and lets only admins change them, audited", async () => {
      const cur = await h.call<SettingsOut>("query", "migrations.settings", undefined, viewer);
      expect(cur.status).toBe(200);
      expect(cur.data!.rebalance).toEqual(cur.data!.defaults.rebalance);
      expect(cur.data!.rebalance.autoApprove).toBe(false);
      expect(cur.data!.migration).toEqual(cur.data!.defaults.migration);
      expect(cur.data!.updatedAt).toBeNull();
      const next = { rebalance: { ...cur.data!.rebalance, autoApprove: true, tolerance: 0.3 }, migration: { ...cur.data!.migration, rowsPerSecond: 500 } };
      const denied = await h.call("mutation", "migrations.updateSettings", next, operator);
      expect(denied.status).toBe(403);

      const invalid = await h.call(
        "mutation",
        "migrations.updateSettings",
        { rebalance: { ...next.rebalance, hysteresis: 0.5 }, migration: { ...next.migration, chunkRows: 5 } },
        admin,
      );
      expect(invalid.status).toBe(400);
      // A field's own limits are checked on the input; the cross-field rules, which need the stored
      // values to merge with, only once every field passes (as zod skips refinements of a bad object).
      expect(invalid.error?.data.details?.rejected?.map((r: Rejected) => r.path)).toEqual(["migration.chunkRows"]);
      const cross = await h.call("mutation", "migrations.updateSettings", { rebalance: { ...next.rebalance, hysteresis: 0.5 }, migration: next.migration }, admin);
      expect(cross.status).toBe(400);
      expect(cross.error?.data.details?.rejected?.map((r: Rejected) => r.path)).toEqual(["rebalance.hysteresis"]);
      expect((await h.call<SettingsOut>("query", "migrations.settings", undefined, viewer)).data!.updatedAt).toBeNull();

      const saved = await h.call<{ changed: string[] }>("mutation", "migrations.updateSettings", next, admin);
      expect(saved.status).toBe(200);
      expect(saved.data!.changed.sort()).toEqual(["migration.rowsPerSecond", "rebalance.autoApprove", "rebalance.tolerance"]);
      const after = await h.call<SettingsOut>("query", "migrations.settings", undefined, viewer);
      expect(after.data!.rebalance).toMatchObject({ autoApprove: true, tolerance: 0.3 });
      expect(after.data!.migration.rowsPerSecond).toBe(500);
      expect(after.data!.updatedAt).toBeInstanceOf(Date);
      expect(after.data!.audit.map((a) => [a.key, a.changes.map((c) => c.field).sort()]).sort()).toEqual([
        ["migration", ["rowsPerSecond"]],
        ["rebalance", ["autoApprove", "tolerance"]],
      ]);
      expect(after.data!.audit.every((a) => a.actorEmail?.startsWith("admin-"))).toBe(true);
    });
  });
});

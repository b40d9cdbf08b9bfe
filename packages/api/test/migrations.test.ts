import { createMigrationProposal, updateRebalanceSettings, type NewMigrationProposal } from "@shardcast/db";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

interface MigrationOut {
  id: string;
  phase: string;
  origin: string;
  reason: string;
  shardletLabel: string;
  sourceHostName: string;
  destHostName: string;
  expectedLoad: Array<{ hostName: string; before: number; after: number }>;
  feasibility: { headroom: { ok: boolean; detail: string } } | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  cancelRequested: boolean;
  decidedBy: string | null;
  etaSec: number | null;
  events?: Array<{ phase: string; message: string; at: Date }>;
}
interface Rejected {
  path: string;
  message: string;
}

const MIB = 1024 * 1024;

describe("migrations console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;
  let operatorEmail: string;
  let streamId: string;
  /** Live shardlets of the stream in hash order (host i % 3). */
  let shardlets: Array<{ id: string; hostId: string; epoch: number }>;

  async function queued(name: string) {
    const jobs = await h.queue.getJobs(["waiting", "delayed", "prioritized"]);
    return jobs.filter((j) => j.name === name).map((j) => ({ data: j.data, dedup: j.opts.deduplication?.id }));
  }

  async function propose(i: number, extra: Partial<NewMigrationProposal> = {}): Promise<string> {
    const s = shardlets[i]!;
    const dest = h.hostIds[(h.hostIds.indexOf(s.hostId) + 1) % h.hostIds.length]!;
    const r = await createMigrationProposal(h.db, {
      streamId,
      shardletId: s.id,
      sourceHostId: s.hostId,
      destHostId: dest,
      origin: "rebalancer",
      reason: `move ${i}`,
      expectedBenefit: 10,
      expectedLoad: { [s.hostId]: { before: 100, after: 50 }, [dest]: { before: 10, after: 60 } },
      feasibility: { headroom: { ok: true, detail: "fits" }, bandwidth: { ok: true, detail: "fast" }, window: { ok: true, detail: "any time" } },
      bytesToMove: MIB,
      shardletEpoch: s.epoch,
      ...extra,
    });
    expect(r.created).toBe(true);
    return r.id;
  }

  async function get(id: string, token = viewer): Promise<MigrationOut> {
    const res = await h.call<MigrationOut>("query", "migrations.get", { id }, token);
    expect(res.status).toBe(200);
    return res.data!;
  }

  beforeAll(async () => {
    h = await startHarness({ hosts: 3 });
    viewer = await h.sessionFor("viewer");
    operator = await h.sessionFor("operator");
    admin = await h.sessionFor("admin");
    operatorEmail = (await h.call<{ user: { email: string } }>("query", "auth.me", undefined, operator)).data!.user.email;
    const created = await h.call<{ id: string }>("mutation", "streams.create", { name: "orders", shardCount: 1, shardletsPerShard: 6 }, operator);
    expect(created.status).toBe(200);
    streamId = created.data!.id;
    const rows = await h.db.shardlet.findMany({ where: { streamId }, orderBy: { lo: "asc" } });
    shardlets = rows.map((r) => ({ id: r.id, hostId: r.hostId, epoch: r.epoch }));
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.db.migrationEvent.deleteMany({});
    await h.db.migration.deleteMany({});
    await h.db.setting.deleteMany({ where: { key: { in: ["rebalance", "migration"] } } });
    await h.db.settingAudit.deleteMany({ where: { key: { in: ["rebalance", "migration"] } } });
    await h.db.host.updateMany({ data: { status: "active" } });
    await h.queue.obliterate({ force: true });
  });

  it("lists proposals for anyone signed in, with names, ranges and expected load", async () => {
    const a = await propose(0);
    await propose(1);
    expect((await h.call("query", "migrations.list", { view: "proposed" })).status).toBe(401);
    const res = await h.call<{ items: MigrationOut[]; total: number }>("query", "migrations.list", { view: "proposed", limit: 1 }, viewer);
    expect(res.status).toBe(200);
    expect(res.data!.total).toBe(2);
    expect(res.data!.items).toHaveLength(1);
    const page2 = await h.call<{ items: MigrationOut[] }>("query", "migrations.list", { view: "proposed", limit: 1, offset: 1 }, viewer);
    expect(page2.data!.items).toHaveLength(1);
    expect(new Set([res.data!.items[0]!.id, page2.data!.items[0]!.id]).size).toBe(2);
    const m = await get(a);
    expect(m).toMatchObject({ phase: "proposed", origin: "rebalancer", sourceHostName: "h1", destHostName: "h2", reason: "move 0" });
    expect(m.shardletLabel).toBe("orders 0x00000000–0x2aaaaaa9");
    expect(m.expectedLoad).toEqual([
      { hostId: shardlets[0]!.hostId, hostName: "h1", before: 100, after: 50 },
      { hostId: h.hostIds[1], hostName: "h2", before: 10, after: 60 },
    ]);
    expect(m.feasibility?.headroom).toEqual({ ok: true, detail: "fits" });
    expect(m.events?.map((e) => e.message)).toEqual(["Proposed by rebalancer: move 0"]);
    expect((await h.call<{ items: unknown[] }>("query", "migrations.list", { view: "history" }, viewer)).data!.items).toEqual([]);
    const bad = await h.call("query", "migrations.list", { view: "everything" }, viewer);
    expect(bad.status).toBe(400);
  });

  it("lets an operator approve (the mover is queued once), not a viewer, and not twice", async () => {
    const id = await propose(0);
    const denied = await h.call("mutation", "migrations.approve", { id }, viewer);
    expect(denied.status).toBe(403);
    expect((await get(id)).phase).toBe("proposed");

    const res = await h.call<{ phase: string; message: string }>("mutation", "migrations.approve", { id }, operator);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ phase: "approved", message: "Approved: the mover starts it now." });
    const m = await get(id);
    expect(m.phase).toBe("approved");
    expect(m.decidedBy).toBe(operatorEmail);
    expect(m.events?.map((e) => e.message)).toEqual(["Proposed by rebalancer: move 0", `Approved by ${operatorEmail}.`]);
    expect(await queued("migration.run")).toEqual([{ data: { migrationId: id }, dedup: `migration-${id}` }]);

    const again = await h.call("mutation", "migrations.approve", { id }, operator);
    expect(again.status).toBe(409);
    expect(again.error?.message).toBe("This migration is already approved.");
    expect(await queued("migration.run")).toHaveLength(1);
    const ops = await h.call<{ operations: Array<{ kind: string; actor: string }> }>("query", "operations.list", { kind: "migration.approve" }, viewer);
    expect(ops.data?.operations[0]).toMatchObject({ kind: "migration.approve", actor: operatorEmail });
  });

  it("refuses to approve a proposal whose shardlet changed since", async () => {
    const id = await propose(2);
    await h.db.shardlet.update({ where: { id: shardlets[2]!.id }, data: { epoch: { increment: 1 } } });
    try {
      const res = await h.call("mutation", "migrations.approve", { id }, operator);
      expect(res.status).toBe(409);
      expect(res.error?.message).toBe(`The shardlet changed since this was proposed (epoch ${shardlets[2]!.epoch} -> ${shardlets[2]!.epoch + 1}); reject the proposal.`);
      expect((await get(id)).phase).toBe("proposed");
      expect(await queued("migration.run")).toEqual([]);
    } finally {
      await h.db.shardlet.update({ where: { id: shardlets[2]!.id }, data: { epoch: shardlets[2]!.epoch } });
    }
  });

  it("schedules for a window, refusing windows that end before they start or lie in the past", async () => {
    const id = await propose(1);
    const start = new Date(Date.now() + 86_400_000);
    const end = new Date(start.getTime() + 3_600_000);
    const backwards = await h.call("mutation", "migrations.schedule", { id, windowStart: end, windowEnd: start }, operator);
    expect(backwards.status).toBe(400);
    expect(backwards.error?.data.details?.rejected?.map((r: Rejected) => [r.path, r.message])).toEqual([["windowEnd", "windowEnd: the window must end after it starts"]]);
    const past = await h.call("mutation", "migrations.schedule", { id, windowStart: new Date(Date.now() - 7_200_000), windowEnd: end }, operator);
    expect(past.status).toBe(400);
    expect(past.error?.data.details?.rejected?.map((r: Rejected) => r.path)).toEqual(["windowStart"]);
    const notADate = await h.call("mutation", "migrations.schedule", { id, windowStart: "tomorrow-ish", windowEnd: end }, operator);
    expect(notADate.status).toBe(400);
    // Nothing of the refused requests was stored.
    const before = await get(id);
    expect(before.phase).toBe("proposed");
    expect(before.events).toHaveLength(1);
    expect((await h.call("mutation", "migrations.schedule", { id, windowStart: start, windowEnd: end }, viewer)).status).toBe(403);

    const ok = await h.call<{ message: string }>("mutation", "migrations.schedule", { id, windowStart: start, windowEnd: end }, operator);
    expect(ok.status).toBe(200);
    const m = await get(id);
    expect(m.phase).toBe("scheduled");
    expect(m.windowStart?.getTime()).toBe(start.getTime());
    expect(m.windowEnd?.getTime()).toBe(end.getTime());
    expect(m.events?.at(-1)?.message).toBe(`Scheduled by ${operatorEmail} for the window ${start.toISOString()} – ${end.toISOString()}.`);
    const list = await h.call<{ items: MigrationOut[] }>("query", "migrations.list", { view: "queued" }, viewer);
    expect(list.data!.items.map((x) => x.id)).toEqual([id]);
    // Scheduling does not start the mover; approving a scheduled migration starts it now.
    expect(await queued("migration.run")).toEqual([]);
    const now = await h.call<{ phase: string }>("mutation", "migrations.approve", { id }, operator);
    expect(now.data?.phase).toBe("approved");
    expect((await get(id)).windowStart).toBeNull();
  });

  it("approves into the next migration window when the settings restrict migrations and it is closed", async () => {
    const hour = new Date().getUTCHours();
    // A one-hour window that is surely not open now.
    await updateRebalanceSettings(h.db, { windowStartHourUtc: (hour + 2) % 24, windowEndHourUtc: (hour + 3) % 24 }, null);
    const id = await propose(3);
    const res = await h.call<{ phase: string; message: string }>("mutation", "migrations.approve", { id }, operator);
    expect(res.data?.phase).toBe("scheduled");
    const m = await get(id);
    expect(m.windowEnd!.getTime() - m.windowStart!.getTime()).toBe(3_600_000);
    expect(m.windowStart!.getUTCHours()).toBe((hour + 2) % 24);
    expect(m.windowStart!.getTime()).toBeGreaterThan(Date.now());
    expect(await queued("migration.run")).toEqual([]);
  });

  it("rejects proposals only", async () => {
    const id = await propose(0);
    const res = await h.call("mutation", "migrations.reject", { id, reason: "peak hour" }, operator);
    expect(res.status).toBe(200);
    const m = await get(id);
    expect(m.phase).toBe("rejected");
    expect(m.events?.at(-1)?.message).toBe(`Rejected by ${operatorEmail}: peak hour`);
    const again = await h.call("mutation", "migrations.reject", { id }, operator);
    expect(again.status).toBe(409);
    expect(again.error?.message).toBe("This migration is rejected; only a proposal can be rejected (cancel it instead).");
    const history = await h.call<{ items: MigrationOut[] }>("query", "migrations.list", { view: "history" }, viewer);
    expect(history.data!.items.map((x) => x.id)).toEqual([id]);
  });

  it("cancels at once before the start, asks the mover during the copy, and refuses from the switch on", async () => {
    const notStarted = await propose(0);
    await h.call("mutation", "migrations.approve", { id: notStarted }, operator);
    expect((await h.call("mutation", "migrations.cancel", { id: notStarted }, viewer)).status).toBe(403);
    const c1 = await h.call<{ outcome: string; message: string }>("mutation", "migrations.cancel", { id: notStarted }, operator);
    expect(c1.data).toMatchObject({ outcome: "cancelled", message: "Cancelled before it started." });
    expect((await get(notStarted)).phase).toBe("cancelled");

    // The mover's phases, set as it would.
    const copying = await propose(1);
    await h.db.migration.update({ where: { id: copying }, data: { phase: "copying", rowsTotal: 1000n, rowsCopied: 250n, copyRate: 50, startedAt: new Date() } });
    expect((await get(copying)).etaSec).toBe(15);
    const c2 = await h.call<{ outcome: string; phase: string }>("mutation", "migrations.cancel", { id: copying }, operator);
    expect(c2.data).toMatchObject({ outcome: "requested", phase: "copying" });
    const m2 = await get(copying);
    expect(m2).toMatchObject({ phase: "copying", cancelRequested: true });
    expect(m2.events?.at(-1)?.message).toMatch(new RegExp(`^Cancel requested by ${operatorEmail.replace(".", "\\.")} during copying: `));

    const switching = await propose(2);
    await h.db.migration.update({ where: { id: switching }, data: { phase: "switching" } });
    const c3 = await h.call("mutation", "migrations.cancel", { id: switching }, operator);
    expect(c3.status).toBe(409);
    expect(c3.error?.message).toBe(
      "This migration is switching: the shardlet already switched (or is switching) to the destination, so a cancel can no longer return it to the start. It will finish.",
    );
    expect((await get(switching)).cancelRequested).toBe(false);
    const c4 = await h.call("mutation", "migrations.cancel", { id: notStarted }, operator);
    expect(c4.error?.message).toBe("This migration is already cancelled.");
    expect((await h.call("mutation", "migrations.cancel", { id: "nope" }, operator)).status).toBe(404);
  });

  it("moves a shardlet by hand when the destination has room, and refuses what cannot move", async () => {
    const s = shardlets[0]!;
    await h.db.shardlet.update({ where: { id: s.id }, data: { writeRate: 40, sizeBytes: BigInt(2 * MIB) } });
    const [, h2, h3] = h.hostIds as [string, string, string];
    expect((await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2 }, viewer)).status).toBe(403);
    const res = await h.call<{ migrationId: string; message: string }>("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h2 }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.message).toBe("Moving orders 0x00000000–0x2aaaaaa9 to h2: the mover starts now.");
    const m = await get(res.data!.migrationId);
    expect(m).toMatchObject({ phase: "approved", origin: "manual", destHostName: "h2", decidedBy: operatorEmail });
    expect(m.reason).toBe(`Requested by ${operatorEmail}: move orders 0x00000000–0x2aaaaaa9 (40 events/s, 2 MB) from h1 (40 events/s -> 0 events/s) to h2 (0 events/s -> 40 events/s).`);
    expect(await queued("migration.run")).toEqual([{ data: { migrationId: res.data!.migrationId }, dedup: `migration-${res.data!.migrationId}` }]);

    const twice = await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: h3 }, operator);
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
      expect(invalid.error?.data.details?.rejected?.map((r: Rejected) => r.path).sort()).toEqual(["migration.chunkRows", "rebalance.hysteresis"]);
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

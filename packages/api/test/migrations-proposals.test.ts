import { updateRebalanceSettings } from "@shardcast/db";
import { describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { useMigrationsConsole, type MigrationOut, type MigrationsConsole, type Rejected } from "./migrations-harness.ts";

/** Reviewing the rebalancer's proposals: listing, approving, scheduling, rejecting and cancelling them. */
describe("migrations console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let operatorEmail: string;
  let shardlets: MigrationsConsole["shardlets"];
  let queued: MigrationsConsole["queued"];
  let propose: MigrationsConsole["propose"];
  let get: MigrationsConsole["get"];

  useMigrationsConsole((c) => ({ h, viewer, operator, operatorEmail, shardlets, queued, propose, get } = c));

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
});

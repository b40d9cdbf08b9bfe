import { keyHash } from "@shardcast/core";
import { waitFor } from "@shardcast/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigration } from "../src/migration/machine.ts";
import { exactlyOnceProblems, type Ack } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * An event acknowledged through the overflow log during a migration's switch, re-sent by its
 * producer after the lock is let go and before the log is drained into the destination (here the
 * worker stops right after the mapping switch, so the window lasts until a new run). The fast path
 * writes to the destination, whose idempotency index does not see the log.
 */

let t: MigrationHarness;

beforeAll(async () => {
  t = await startMigrationHarness();
  await t.settings({ chunkRows: 100, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 100, rowsPerSecond: 0 });
});

afterAll(async () => {
  await t?.close();
});

describe("a re-send after a migration's switch, before its drain", () => {
  it("is answered with the position the overflow log gave it, and is read once after the drain", async () => {
    const s = (await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } }))[1]!;
    const range = { lo: Number(s.lo), hi: Number(s.hi) };
    await t.write(range, 50);
    const from = (await t.route(s.id)).hostId;
    const to = t.h.hostIds.find((id) => id !== from)!;
    const event = { key: t.h.keyIn(range.lo, range.hi), id: t.h.nextId() };

    let first: Ack | undefined;
    t.hooks.afterStep = async (step) => {
      if (step === "switch.source-fenced") {
        await waitFor("the edge to see the op-lock", () => t.h.edge.locks.has(s.id), 10_000, { intervalMs: 0 });
        [first] = await t.h.produce([event]);
      }
      if (step === "switch.mapped") throw new Error("injected stop after the mapping switch");
    };
    const id = await t.approve(s.id, to);
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected stop/);
    t.hooks.afterStep = undefined;
    expect((await t.migration(id)).phase).toBe("cleanup");

    // The edge routes the key to the destination, unlocked: the fast path.
    await waitFor("the edge to see the op-lock let go", () => !t.h.edge.locks.has(s.id), 10_000, { intervalMs: 0 });
    const route = (await t.h.edge.routing.refreshById(t.h.streamId))!.table.lookup(keyHash(event.key));
    expect(route).toMatchObject({ id: s.id, hostId: to, state: "active" });
    const [resent] = await t.h.produce([event]);
    expect(resent!.seq).toBe(first!.seq);
    const dest = await t.h.driver(to);
    const stored = await dest.withClient((c) => c.query<{ n: number }>("SELECT count(*)::int AS n FROM sc_events WHERE event_id = $1", [event.id]));
    expect(stored.rows[0]!.n).toBe(0);

    const results = await t.runToEnd(id);
    expect(results[results.length - 1]).toMatchObject({ status: "done" });
    expect((await t.route(s.id)).overflowPending).toBeUndefined();
    const read = await t.h.read(event.key);
    expect(read.byPosition.filter((e) => e.id === event.id)).toEqual([{ seq: first!.seq, id: event.id, key: event.key }]);
    expect(read.byKey.filter((e) => e.id === event.id)).toEqual([{ seq: first!.seq, id: event.id, key: event.key }]);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  });
});

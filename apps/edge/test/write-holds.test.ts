import { HASH_SPACE, RoutingTable, ShardcastError } from "@shardcast/core";
import { createLogger } from "@shardcast/runtime";
import { describe, expect, it } from "vitest";
import { LockView } from "../src/lock-view.ts";
import type { RouteEntry } from "../src/routing-cache.ts";
import { waitForHolds } from "../src/write-holds.ts";

/**
 * The wait of a batch whose events route to a hand-off's held shardlet, against a real LockView
 * on a clock the test moves: it ends when new routes send the events elsewhere, when the lock is
 * let go, or when the first hold met runs out (a lock taken again meanwhile does not extend it);
 * events of other shardlets never wait.
 */

const HALF = Math.floor(HASH_SPACE / 2);
const route = (id: string, lo: number, hi: number) => ({ id, streamId: "s", shardId: "x", lo, hi, hostId: "h", state: "active" as const, epoch: 1 });
const entryOf = (routes: ReturnType<typeof route>[]): RouteEntry => ({ meta: { id: "s", name: "s", keyField: "key" }, table: RoutingTable.build("s", routes), shards: new Map() });
const before = entryOf([route("a", 0, HALF), route("b", HALF, HASH_SPACE)]);
/** After a hand-off of "a" to its successor "a2". */
const after = entryOf([route("a2", 0, HALF), route("b", HALF, HASH_SPACE)]);

function setup() {
  let now = 0;
  const view = new LockView(() => Promise.resolve([]), createLogger({}, { level: "error" }), () => now);
  let current: RouteEntry | null = before;
  const held: Array<{ ms: number; released: boolean }> = [];
  const deps = {
    holds: view,
    routing: { get: () => Promise.resolve(current) },
    clock: () => now,
    observer: { held: (ms: number, released: boolean) => held.push({ ms, released }) },
  };
  return {
    view,
    deps,
    held,
    setNow: (ms: number) => (now = ms),
    setRoutes: (e: RouteEntry | null) => (current = e),
    /** "a" locked with a 250 ms hold, and a batch of `hashes` waiting on it (parked when this resolves). */
    async heldBatch(hashes: number[]): Promise<{ waiting: Promise<RouteEntry> }> {
      view.apply("a", true, 250);
      const waiting = waitForHolds(deps, "s", before, () => hashes);
      waiting.catch(() => undefined);
      await parked(view);
      return { waiting };
    },
  };
}

/** Resolves once the wait is parked on the view (so what the test does next happens during it). */
async function parked(view: LockView): Promise<void> {
  while (view.waiting === 0) await new Promise((r) => setImmediate(r));
}

describe("waiting for a held op-lock", () => {
  it("lets events of other shardlets through at once", async () => {
    const s = setup();
    s.view.apply("a", true, 250);
    expect(await waitForHolds(s.deps, "s", before, () => [HALF + 10])).toBe(before);
    expect(s.held).toEqual([]);
  });

  it("ends when new routes send the events to the successor, before the lock is let go", async () => {
    const s = setup();
    const { waiting } = await s.heldBatch([10, HALF + 10]);
    s.setRoutes(after);
    s.view.routesChanged();
    expect(await waiting).toBe(after);
    expect(s.held.map((h) => h.released)).toEqual([true]);
  });

  it("ends at the release", async () => {
    const s = setup();
    const { waiting } = await s.heldBatch([10]);
    s.view.apply("a", false);
    expect(await waiting).toBe(before);
    expect(s.held[0]?.released).toBe(true);
  });

  it("gives up when the first hold runs out, even if the shardlet is locked again meanwhile", async () => {
    const s = setup();
    const { waiting } = await s.heldBatch([10]);
    // A new lock message at 200 ms would hold until 450: the wait still ends at 250.
    s.setNow(200);
    s.view.apply("a", true, 250);
    await parked(s.view);
    s.setNow(250);
    s.view.routesChanged();
    expect(await waiting).toBe(before);
    expect(s.held.map((h) => h.released)).toEqual([false]);
  });

  it("says so when the stream is deleted while a batch waits", async () => {
    const s = setup();
    const { waiting } = await s.heldBatch([10]);
    s.setRoutes(null);
    s.view.routesChanged();
    await expect(waiting).rejects.toSatisfy((e) => e instanceof ShardcastError && e.code === "not_found");
  });
});

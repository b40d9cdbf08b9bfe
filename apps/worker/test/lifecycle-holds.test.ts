import { waitFor } from "@shardcast/core/testing";
import { loadRoutes, rangeTotals, shardletTotals, type LifecycleStep } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runShardletMerge } from "../src/processors/shardlet-merge.ts";
import { runShardletSplit, type LifecycleJobOutcome } from "../src/processors/shardlet-split.ts";
import { exactlyOnceProblems, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * A split's and a merge's lock windows, under writes through two edges: the edges hold the
 * sources' writes for the switch and write them into the children, so nothing goes through the
 * overflow log and the job drains nothing; with the hold off, the same window's writes take the
 * overflow log. Every acknowledged event is stored once, in the shardlet that owns its key.
 */

let h: LifecycleHarness;

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 2, edges: 2 });
}, 120_000);

afterAll(() => h?.close());

/** Producers writing keys across the whole shard (every batch meets the locked range) until stopped. */
function produce(producers = 2): { stop: () => Promise<number> } {
  let running = true;
  let batches = 0;
  const loops = Array.from({ length: producers }, async () => {
    while (running) {
      await h.produce(Array.from({ length: 10 }, (_, i) => ({ key: `k-${batches}-${i}-${h.nextId()}`, id: h.nextId() })));
      batches++;
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return batches;
    },
  };
}

async function overflowRows(): Promise<number> {
  const shard = await h.db.shard.findFirstOrThrow({ where: { streamId: h.streamId } });
  return (await h.driver(shard.homeHostId)).countOverflow(h.streamId);
}

/** Runs `job` with its `fenced` step waiting until an edge holds a write (or, without a hold, until the overflow log grew). */
async function underWrites(holdMs: number, job: () => Promise<LifecycleJobOutcome>): Promise<{ drained: number; overflow: number }> {
  const before = await overflowRows();
  // Rows the lock window left in the overflow log, counted at the switch (the drain comes after).
  let overflow = -1;
  h.deps.lifecycle = {
    ...h.deps.lifecycle,
    splitHoldMs: holdMs,
    hooks: {
      afterStep: async (phase: LifecycleStep) => {
        if (phase === "switching") overflow = (await overflowRows()) - before;
        if (phase !== "fenced") return;
        if (holdMs > 0) await waitFor("a write held at an edge", () => h.edges.some((e) => e.locks.waiting > 0));
        else await waitFor("a write in the overflow log", async () => (await overflowRows()) > before);
      },
    },
  };
  const producing = produce();
  try {
    await waitFor("writes before the job", () => h.acked.size > 0);
    const res = await job();
    if (res.status !== "done") throw new Error(`the job ended ${res.status}: ${"reason" in res ? res.reason : (res.error ?? "")}`);
    expect(await producing.stop()).toBeGreaterThan(0);
    return { drained: res.drained, overflow };
  } finally {
    await producing.stop();
    h.deps.lifecycle = { ...h.deps.lifecycle, splitHoldMs: undefined, hooks: {} };
  }
}

/**
 * Routes whose host accounting differs from what their key-hash range stores: the children start
 * from the figures the job took in its lock window, and every write since adds to them.
 */
async function accountingProblems(): Promise<string[]> {
  const out: string[] = [];
  for (const r of await loadRoutes(h.db, h.streamId)) {
    const driver = await h.driver(r.hostId);
    const [accounted, [stored]] = await Promise.all([shardletTotals(driver, r.id), rangeTotals(driver, [{ streamId: h.streamId, lo: r.lo, hi: r.hi }])]);
    if (accounted.events !== stored!.events || accounted.bytes !== stored!.bytes) out.push(`${r.id}: accounted ${JSON.stringify(accounted)}, stored ${JSON.stringify(stored)}`);
  }
  return out;
}

/** A counter of an edge's metrics, summed over the series whose labels contain `labels`. */
async function edgeCounter(i: number, name: string, labels: string): Promise<number> {
  const text = await h.edges[i]!.metrics.registry.metrics();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** Per edge: its patches applied and its reloads for routing messages. */
async function routeUpdates(): Promise<Array<{ patched: number; reloaded: number }>> {
  return Promise.all(
    h.edges.map(async (_, i) => ({
      patched: await edgeCounter(i, "shardcast_edge_route_patches_total", 'outcome="applied"'),
      reloaded: await edgeCounter(i, "shardcast_edge_route_reloads_total", 'reason="pubsub"'),
    })),
  );
}

/**
 * Waits until every edge routes as the control database does: the job's announcements carry the
 * children's routes (flags and history hosts included), and the edges install them without
 * reading the stream's routes.
 */
async function expectEdgesRouteAsStored(before: Array<{ patched: number; reloaded: number }>, opts: { edgesFlagged?: boolean } = {}): Promise<void> {
  const shape = (r: { id: string; hostId: string; epoch: number; state: string; overflowPending?: boolean; historyHostIds?: readonly string[] }) =>
    `${r.id}@${r.hostId}#${r.epoch}:${r.state}${r.overflowPending ? ":pending" : ""}${r.historyHostIds?.length ? `:history=${r.historyHostIds.join(",")}` : ""}`;
  const stored = (await loadRoutes(h.db, h.streamId)).map(shape);
  await waitFor("every edge to route as stored", async () => {
    for (const e of h.edges) if ((await e.routing.get(h.stream))!.table.all().map(shape).join() !== stored.join()) return false;
    return true;
  });
  const after = await routeUpdates();
  after.forEach((a, i) => {
    expect(a.patched).toBeGreaterThan(before[i]!.patched);
    // An edge whose writes took the overflow log flags their ranges and tells the edges itself,
    // without routes: those announcements are reloads.
    if (!opts.edgesFlagged) expect(a.reloaded).toBe(before[i]!.reloaded);
  });
}

describe("writes meeting a split's or a merge's lock", () => {
  it("are held at the edges for the split's switch and written into the children: none through the overflow log", async () => {
    const [source] = await loadRoutes(h.db, h.streamId);
    const updates = await routeUpdates();
    const res = await underWrites(5_000, () => runShardletSplit(h.deps, { shardletId: source!.id, reason: "held split" }));
    expect(res).toEqual({ drained: 0, overflow: 0 });
    await expectEdgesRouteAsStored(updates);
    expect((await loadRoutes(h.db, h.streamId)).map((r) => r.id)).not.toContain(source!.id);
    expect(await loadRoutes(h.db, h.streamId)).toHaveLength(3);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
    expect(await accountingProblems()).toEqual([]);
  }, 60_000);

  it("are held for a merge's switch the same way", async () => {
    const routes = (await loadRoutes(h.db, h.streamId)).sort((a, b) => a.lo - b.lo);
    const [left, right] = routes;
    const updates = await routeUpdates();
    const res = await underWrites(5_000, () => runShardletMerge(h.deps, { leftId: left!.id, rightId: right!.id, reason: "held merge" }));
    expect(res).toEqual({ drained: 0, overflow: 0 });
    await expectEdgesRouteAsStored(updates);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
    expect(await accountingProblems()).toEqual([]);
  }, 60_000);

  it("take the overflow log with the hold off, and the job drains them into the children", async () => {
    const [source] = await loadRoutes(h.db, h.streamId);
    const updates = await routeUpdates();
    const res = await underWrites(0, () => runShardletSplit(h.deps, { shardletId: source!.id, reason: "split without a hold" }));
    expect(res.overflow).toBeGreaterThan(0);
    expect(res.drained).toBeGreaterThan(0);
    // The drain's cleared flags reach the edges the same way.
    await expectEdgesRouteAsStored(updates, { edgesFlagged: true });
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
    expect(await accountingProblems()).toEqual([]);
  }, 60_000);
});

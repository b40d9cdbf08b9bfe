import { keyHash } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver, prepareChildren, rangeTotals, switchFences, type PreparedChild } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * A job runner that lost its lock while counting a split's children comes back after another run
 * finished the split and producers wrote into the children: its preparation must not replace the
 * children's live accounting with its old counts.
 */

const STREAM = "st-stale-prepare";
const MID = 2 ** 31;

let host: { dsn: string; drop: () => Promise<void> };
let driver: HostDriver;
let seq = 0;

beforeAll(async () => {
  host = await createTestHostDb();
  driver = new HostDriver(host.dsn, { poolSize: 4 });
});

afterAll(async () => {
  await driver?.close();
  await host?.drop();
});

async function write(shardletId: string, keys: readonly string[]): Promise<void> {
  const fence = await driver.getFence(shardletId);
  const res = await driver.fencedWrite({
    streamId: STREAM,
    shardletId,
    epoch: fence!.epoch,
    events: keys.map((k) => event(++seq, k, { keyHash: keyHash(k) })),
  });
  expect(res.ok).toBe(true);
}

function keysIn(prefix: string, lo: number, hi: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const h = keyHash(`${prefix}-${i}`);
    if (h >= lo && h < hi) out.push(`${prefix}-${i}`);
  }
  return out;
}

async function statRows(ids: readonly string[]): Promise<{ totals: Map<string, number>; deltas: number }> {
  const totals = await driver.withClient((c) =>
    c.query<{ shardlet_id: string; events: string }>("SELECT shardlet_id, events::text AS events FROM sc_stat_total WHERE shardlet_id = ANY($1::text[])", [ids]),
  );
  const deltas = await driver.withClient((c) =>
    c.query<{ n: number }>("SELECT coalesce(sum(events), 0)::int AS n FROM sc_stat_delta WHERE shardlet_id = ANY($1::text[])", [ids]),
  );
  return { totals: new Map(totals.rows.map((r) => [r.shardlet_id, Number(r.events)])), deltas: deltas.rows[0]!.n };
}

describe("prepareChildren from a run that lost its lock", () => {
  it("leaves the accounting of children another run already switched", async () => {
    await driver.setFence("src", STREAM, 1, "active", { lo: 0, hi: 2 ** 32 });
    await write("src", [...keysIn("l", 0, MID, 30), ...keysIn("r", MID, 2 ** 32, 20)]);
    await driver.setFence("src", STREAM, 2, "splitting", { lo: 0, hi: 2 ** 32 });

    const ranges = [
      { id: "left", lo: 0, hi: MID },
      { id: "right", lo: MID, hi: 2 ** 32 },
    ];
    // Both runs count the fenced source's range: the stale run's figures are these.
    const counted = await rangeTotals(
      driver,
      ranges.map((r) => ({ streamId: STREAM, lo: r.lo, hi: r.hi })),
    );
    expect(counted.map((c) => c.events)).toEqual([30, 20]);
    const children: PreparedChild[] = ranges.map((r, i) => ({ ...r, epoch: 1, ...counted[i]! }));

    // The live run prepares and switches the children; producers write into them.
    await prepareChildren(driver, { streamId: STREAM, children, drop: ["src"] });
    await switchFences(driver, { activate: ["left", "right"], retire: ["src"] });
    await write("left", keysIn("l2", 0, MID, 7));
    await write("right", keysIn("r2", MID, 2 ** 32, 4));
    await driver.foldStats();
    await write("left", keysIn("l3", 0, MID, 3));
    const live = await statRows(["left", "right"]);
    expect(live).toEqual({ totals: new Map([["left", 37], ["right", 24]]), deltas: 3 });

    // The stale run wakes up with its old counts.
    const stale = await prepareChildren(driver, { streamId: STREAM, children, drop: ["src"] });
    expect(await statRows(["left", "right"])).toEqual(live);
    expect(stale).toBe(false);
    expect(await driver.getFence("left")).toMatchObject({ state: "active", epoch: 1 });
    const folded = await driver.foldStats();
    expect(folded.find((t) => t.shardletId === "left")?.events).toBe(40);
    expect(folded.find((t) => t.shardletId === "right")?.events).toBe(24);
    expect(folded.find((t) => t.shardletId === "src")).toBeUndefined();
  });

  it("still prepares pending children again (a repeated step)", async () => {
    await driver.setFence("src2", "st-repeat", 1, "splitting", { lo: 0, hi: 2 ** 32 });
    const children: PreparedChild[] = [
      { id: "a2", lo: 0, hi: MID, epoch: 1, events: 5, bytes: 50 },
      { id: "b2", lo: MID, hi: 2 ** 32, epoch: 1, events: 6, bytes: 60 },
    ];
    expect(await prepareChildren(driver, { streamId: "st-repeat", children, drop: ["src2"] })).toBe(true);
    const again = children.map((c) => ({ ...c, events: c.events + 1 }));
    expect(await prepareChildren(driver, { streamId: "st-repeat", children: again, drop: ["src2"] })).toBe(true);
    expect((await statRows(["a2", "b2"])).totals).toEqual(new Map([["a2", 6], ["b2", 7]]));
    expect(await driver.getFence("a2")).toMatchObject({ state: "pending", epoch: 1, lo: 0, hi: MID });
  });
});

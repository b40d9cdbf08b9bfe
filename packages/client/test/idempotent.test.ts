import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase } from "@shardcast/db/testing";
import { exactlyOnce, postgresDedupeStore, type EventIdentity } from "../src/index.ts";

type Event = EventIdentity & { payload: { amount: number } };
type TestBatch = { shardletId: string; events: Event[] };

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let pool: pg.Pool;
beforeAll(async () => {
  scratch = await createScratchDatabase("client-dedupe");
  pool = new pg.Pool({ connectionString: scratch.url, max: 6 });
  // The drop at the end terminates connections pool.end() is still closing.
  pool.on("error", () => undefined);
  await pool.query("CREATE TABLE effects (stream_id text NOT NULL, seq bigint NOT NULL, amount int NOT NULL)");
});
afterAll(async () => {
  await pool?.end();
  await scratch?.drop();
});

const batch = (streamId: string, from: number, to: number): TestBatch => ({
  shardletId: "s1",
  events: Array.from({ length: to - from + 1 }, (_, i) => ({ streamId, seq: from + i, payload: { amount: from + i } })),
});

async function effects(streamId: string): Promise<Array<{ seq: number; n: number }>> {
  const { rows } = await pool.query<{ seq: string; n: string }>("SELECT seq, count(*) AS n FROM effects WHERE stream_id = $1 GROUP BY seq ORDER BY seq", [streamId]);
  return rows.map((r) => ({ seq: Number(r.seq), n: Number(r.n) }));
}

/** A handler whose effect is a row per event, written in the dedupe transaction. */
function recorder(seen: number[][], opts: { failOnce?: boolean; holdMs?: number } = {}) {
  let failed = false;
  return async (events: Event[], tx: pg.PoolClient) => {
    seen.push(events.map((e) => e.seq));
    for (const e of events) await tx.query("INSERT INTO effects (stream_id, seq, amount) VALUES ($1, $2, $3)", [e.streamId, e.seq, e.payload.amount]);
    if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
    if (opts.failOnce && !failed) {
      failed = true;
      throw new Error("handler failed after writing (test)");
    }
  };
}

describe("exactlyOnce with postgresDedupeStore", () => {
  it("creates its table once and processes a redelivered event once", async () => {
    const store = postgresDedupeStore<pg.PoolClient>({ pool, table: "public.processed" });
    await store.ensureTable();
    await store.ensureTable();
    const seen: number[][] = [];
    const handle = exactlyOnce<pg.PoolClient, TestBatch>(recorder(seen), store);

    await handle(batch("a", 1, 5));
    await handle(batch("a", 1, 5));
    // Overlapping redelivery: only the new tail reaches the handler.
    await handle(batch("a", 3, 8));
    expect(seen).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8],
    ]);
    expect(await effects("a")).toEqual(Array.from({ length: 8 }, (_, i) => ({ seq: i + 1, n: 1 })));
    // Another stream's seq 1 is another event.
    await handle(batch("b", 1, 1));
    expect(await effects("b")).toEqual([{ seq: 1, n: 1 }]);
  });

  it("rolls back the handler's writes and the dedupe records together when the handler throws", async () => {
    const store = postgresDedupeStore<pg.PoolClient>({ pool, table: "processed" });
    const seen: number[][] = [];
    const handle = exactlyOnce<pg.PoolClient, TestBatch>(recorder(seen, { failOnce: true }), store);
    await expect(handle(batch("c", 1, 3))).rejects.toThrow(/handler failed/);
    expect(await effects("c")).toEqual([]);
    // The consumer runs the batch again: nothing of the failed run counts as done.
    await handle(batch("c", 1, 3));
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(await effects("c")).toEqual([1, 2, 3].map((seq) => ({ seq, n: 1 })));
  });

  it("lets exactly one of two concurrent deliveries of the same events apply them", async () => {
    const store = postgresDedupeStore<pg.PoolClient>({ pool, table: "processed" });
    const seen: number[][] = [];
    // The old and the new owner of a shardlet during a hand-off, both holding the batch.
    const handle = exactlyOnce<pg.PoolClient, TestBatch>(recorder(seen, { holdMs: 200 }), store);
    await Promise.all([handle(batch("d", 1, 20)), handle(batch("d", 11, 30))]);
    expect(await effects("d")).toEqual(Array.from({ length: 30 }, (_, i) => ({ seq: i + 1, n: 1 })));
    expect(seen.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it("handles an event named twice in one batch once", async () => {
    const store = postgresDedupeStore<pg.PoolClient>({ pool, table: "processed" });
    const seen: number[][] = [];
    const b = batch("e", 1, 2);
    await exactlyOnce<pg.PoolClient, TestBatch>(recorder(seen), store)({ shardletId: "s1", events: [...b.events, b.events[0]!] });
    expect(seen).toEqual([[1, 2]]);
  });

  it("keeps scopes apart and prunes only its own old records", async () => {
    const a = postgresDedupeStore<pg.PoolClient>({ pool, table: "scoped", scope: "billing" });
    const b = postgresDedupeStore<pg.PoolClient>({ pool, table: "scoped", scope: "search" });
    await a.ensureTable();
    const seenA: number[][] = [];
    const seenB: number[][] = [];
    await exactlyOnce<pg.PoolClient, TestBatch>(recorder(seenA), a)(batch("f", 1, 2));
    await exactlyOnce<pg.PoolClient, TestBatch>(recorder(seenB), b)(batch("f", 1, 2));
    expect([seenA, seenB]).toEqual([[[1, 2]], [[1, 2]]]);
    await pool.query("UPDATE scoped SET processed_at = now() - interval '2 hours' WHERE scope = 'billing'");
    expect(await a.prune(60 * 60 * 1000)).toBe(2);
    expect(await b.prune(60 * 60 * 1000)).toBe(0);
  });

  it("refuses a table name that is not a plain identifier", () => {
    expect(() => postgresDedupeStore({ pool, table: 'x"; DROP TABLE effects; --' })).toThrow(TypeError);
  });
});

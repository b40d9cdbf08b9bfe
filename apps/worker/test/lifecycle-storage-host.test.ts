import { isShardcastError, keyHash } from "@shardcast/core";
import { waitFor } from "@shardcast/core/testing";
import { fenceForChange, HostDriver, keyHashMedian, prepareChildren, rangeTotals, switchFences } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A split's steps on a host database: the epoch raise against writes in flight, the children's
 * fences and totals from their ranges (no row rewritten), the key-hash index that serves a range.
 */

let hostDb: Awaited<ReturnType<typeof createTestHostDb>>;
let driver: HostDriver;
let seq = 0;

const STREAM = "st-storage";

beforeAll(async () => {
  hostDb = await createTestHostDb();
  driver = new HostDriver(hostDb.dsn, { poolSize: 4 });
});

afterAll(async () => {
  await driver?.close();
  await hostDb?.drop();
});

async function seedFence(id: string, lo = 0, hi = 2 ** 32): Promise<void> {
  await driver.setFence(id, STREAM, 1, "active", { lo, hi });
}

async function writeKeys(shardletId: string, keys: string[]): Promise<void> {
  const res = await driver.fencedWrite({
    streamId: STREAM,
    shardletId,
    epoch: (await driver.getFence(shardletId))!.epoch,
    events: keys.map((key) => ({ key, id: null, type: null, ts: Date.now(), payloadJson: "{}", sizeBytes: 10, seq: ++seq, keyHash: keyHash(key) })),
  });
  expect(res.ok).toBe(true);
}

describe("fenceForChange", () => {
  it("waits for a write in flight, then rejects writes at the old epoch", async () => {
    await seedFence("f1");
    const writer = new pg.Client({ connectionString: hostDb.dsn });
    await writer.connect();
    try {
      await writer.query("BEGIN");
      // What a fenced write holds while its insert runs.
      await writer.query("SELECT 1 FROM sc_fence WHERE shardlet_id = 'f1' AND epoch = 1 FOR SHARE");
      let settled = false;
      const raise = fenceForChange(driver, ["f1"], "splitting", new Map([["f1", 2]])).finally(() => (settled = true));
      // The raise must be blocked on the writer's row lock. Polled from another connection:
      // inside the writer's transaction pg_stat_activity is a snapshot taken at first use.
      await waitFor(
        "the epoch raise to wait for the writer",
        async () => {
          const waiting = await driver.withClient((c) =>
            c.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM sc_fence%FOR UPDATE%' AND datname = current_database()",
            ),
          );
          return waiting.rows[0]!.n > 0;
        },
        10_000,
        { intervalMs: 0 },
      );
      expect(settled).toBe(false);
      expect((await driver.getFence("f1"))?.epoch).toBe(1);
      await writer.query("COMMIT");
      await raise;
      expect(await driver.getFence("f1")).toMatchObject({ epoch: 2, state: "splitting" });
    } finally {
      await writer.end();
    }
    const stale = await driver.fencedWrite({
      streamId: STREAM,
      shardletId: "f1",
      epoch: 1,
      events: [{ key: "k", id: null, type: null, ts: Date.now(), payloadJson: "{}", sizeBytes: 1, seq: ++seq, keyHash: keyHash("k") }],
    });
    expect(stale).toMatchObject({ ok: false, currentEpoch: 2, currentState: "splitting" });
    // Idempotent; and a fence above the requested epoch is someone else's change.
    await fenceForChange(driver, ["f1"], "splitting", new Map([["f1", 2]]));
    await expect(fenceForChange(driver, ["f1"], "splitting", new Map([["f1", 1]]))).rejects.toSatisfy(
      (e) => isShardcastError(e) && e.code === "conflict",
    );
  });
});

describe("a split on the host", () => {
  it("rewrites no row: the children's fences and totals come from their ranges, idempotently", async () => {
    // The source's range is the middle half of the hash space; a neighbour holds the rest.
    const lo = 2 ** 30;
    const hi = 3 * 2 ** 30;
    const inRange = (k: string) => keyHash(k) >= lo && keyHash(k) < hi;
    const pick = (prefix: string, n: number, inside: boolean) => {
      const out: string[] = [];
      for (let i = 0; out.length < n; i++) if (inRange(`${prefix}-${i}`) === inside) out.push(`${prefix}-${i}`);
      return out;
    };
    const keys = pick("move", 103, true);
    await seedFence("src", lo, hi);
    await writeKeys("src", keys.slice(0, 100));
    // Rows of the same stream outside the range, written by the neighbour: never counted in.
    await seedFence("other");
    await writeKeys("other", pick("outside", 5, false));
    await driver.foldStats();
    // The source has folded totals and unfolded deltas: both are replaced by the children's.
    await writeKeys("src", keys.slice(100));
    const hashes = keys.map(keyHash);
    const profile = await keyHashMedian(driver, { streamId: STREAM, lo, hi });
    expect(profile).toMatchObject({ rows: 103, min: Math.min(...hashes), max: Math.max(...hashes) });
    const at = profile!.median;
    expect(await keyHashMedian(driver, { streamId: "no-such-stream", lo, hi })).toBeNull();

    const rowVersions = async () =>
      (
        await driver.withClient((c) =>
          c.query<{ v: string }>("SELECT string_agg(seq || ':' || ctid::text || ':' || xmin::text || ':' || shardlet_id, ',' ORDER BY seq) AS v FROM sc_events WHERE stream_id = $1", [STREAM]),
        )
      ).rows[0]!.v;
    const before = await rowVersions();
    const children = [
      { id: "left", lo, hi: at },
      { id: "right", lo: at, hi },
    ];
    const left = hashes.filter((h) => h < at).length;
    expect(Math.abs(left - 51)).toBeLessThanOrEqual(1);
    const counted = await rangeTotals(
      driver,
      children.map((c) => ({ streamId: STREAM, ...c })),
    );
    expect(counted).toEqual([
      { events: left, bytes: left * 10 },
      { events: 103 - left, bytes: (103 - left) * 10 },
    ]);
    const prepared = children.map((c, i) => ({ ...c, epoch: 1, ...counted[i]! }));
    await prepareChildren(driver, { streamId: STREAM, children: prepared, drop: ["src"] });
    await prepareChildren(driver, { streamId: STREAM, children: prepared, drop: ["src"] });
    expect(await driver.getFence("left")).toMatchObject({ state: "pending", epoch: 1, lo, hi: at });
    // Not one row was rewritten: same physical version, same label (the shardlet that accepted it).
    expect(await rowVersions()).toBe(before);
    const folded = await driver.foldStats();
    expect(folded.find((t) => t.shardletId === "src")).toBeUndefined();
    expect(folded.find((t) => t.shardletId === "left")?.events).toBe(left);
    expect(folded.find((t) => t.shardletId === "other")?.events).toBe(5);

    await switchFences(driver, { activate: ["left", "right"], retire: ["src"] });
    await switchFences(driver, { activate: ["left", "right"], retire: ["src"] });
    expect((await driver.getFence("left"))?.state).toBe("active");
    expect((await driver.getFence("src"))?.state).toBe("retired");
  });

  it("selects a range through the key-hash index, not the label", async () => {
    // The test table is tiny, so a sequential scan would win on cost: rule it out to see whether
    // an index serves the range at all.
    const plan = await driver.withClient(async (c) => {
      await c.query("BEGIN");
      await c.query("SET LOCAL enable_seqscan = off");
      const res = await c.query<{ "QUERY PLAN": string }>(
        "EXPLAIN SELECT count(*), sum(size_bytes) FROM sc_events WHERE stream_id = 'x' AND key_hash >= 1 AND key_hash < 2",
      );
      await c.query("COMMIT");
      return res;
    });
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/sc_events_hash/);
    const indexes = await driver.withClient((c) => c.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'sc_events' ORDER BY 1"));
    // The two archive indexes are partial (archived rows only): new events do not pay for them.
    // Event ids are unique in sc_event_ids: a unique index of a partitioned table must hold its partition key.
    expect(indexes.rows.map((r) => r.indexname)).toEqual(["sc_events_archive_batch", "sc_events_archived_hash", "sc_events_hash", "sc_events_key_ts", "sc_events_seq"]);
  });
});

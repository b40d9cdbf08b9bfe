import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { applyHostSchema, HOST_SCHEMA_VERSION, HostDriver, listEventPartitions, readRangeRows, shadowWriteBatch, writeCopiedRows } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * Host migration 0009 on a host that already holds events: the event table becomes time
 * partitioned while writers keep writing through the driver, which follows the host from one
 * layout to the other.
 */

const STREAM = "s-part";
const SHARDLET = "sl-1";
/** Rows the host holds before the migration: enough that its online steps take a while. */
const OLD_ROWS = 60_000;
const WRITERS = 3;
const BATCH = 20;

/** The order-independent checksum over event ids: sum of the first 48 bits of each id's md5. */
function idChecksum(ids: Iterable<string>): bigint {
  let sum = 0n;
  for (const id of ids) sum += BigInt(`0x${createHash("md5").update(id).digest("hex").slice(0, 12)}`);
  return sum;
}

describe("time partitions of sc_events", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function oldHost(): Promise<{ dsn: string; driver: HostDriver }> {
    const host = await createTestHostDb({ schema: false });
    cleanups.push(host.drop);
    await applyHostSchema(host.dsn, { upTo: 8 });
    const driver = new HostDriver(host.dsn, { poolSize: 8 });
    cleanups.push(() => driver.close());
    await driver.setFence(SHARDLET, STREAM, 1, "active", { lo: 0, hi: 2 ** 32 });
    return { dsn: host.dsn, driver };
  }

  it("moves a host's events into partitions while writes go on: every event kept once, ids still deduplicated", async () => {
    const { dsn, driver } = await oldHost();
    await driver.withClient((c) =>
      c.query(
        `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
         SELECT $1, g, $2, 'k' || (g % 97), g % 65536, 'old-' || g, 't', now(), jsonb_build_object('n', g), 20 FROM generate_series(1, $3::int) g`,
        [STREAM, SHARDLET, OLD_ROWS],
      ),
    );
    expect(await driver.layout()).toBe("legacy");
    const indexesBefore = await driver.withClient((c) =>
      c.query<{ oid: number; node: number }>("SELECT indexrelid::int AS oid, (SELECT relfilenode::int FROM pg_class WHERE oid = indexrelid) AS node FROM pg_index WHERE indrelid = 'sc_events'::regclass"),
    );

    let nextSeq = OLD_ROWS + 1;
    let nextId = 0;
    const acked = new Set<string>();
    let migrated = false;
    let during = 0;
    const writer = async () => {
      for (let after = 0; after < 5; ) {
        const events = Array.from({ length: BATCH }, () => event(nextSeq++, `w${nextId % 13}`, { id: `new-${nextId++}`, keyHash: nextId % 65536 }));
        const res = await driver.fencedWrite({ streamId: STREAM, shardletId: SHARDLET, epoch: 1, events });
        expect(res).toMatchObject({ ok: true, inserted: BATCH });
        for (const e of events) acked.add(e.id!);
        if (migrated) after++;
        else during++;
      }
    };
    const lines: string[] = [];
    const writers = Array.from({ length: WRITERS }, () => writer());
    expect(await applyHostSchema(dsn, { log: (l) => lines.push(l) })).toBe(HOST_SCHEMA_VERSION);
    migrated = true;
    await Promise.all(writers);

    expect(await driver.layout()).toBe("partitioned");
    // Writes went on while the host migrated, and the switch itself was short.
    expect(during).toBeGreaterThan(0);
    const swap = lines.map((l) => /switched sc_events to time partitions .* in (\d+) ms/.exec(l)).find((m) => m !== null);
    expect(swap, lines.join("\n")).toBeTruthy();
    expect(Number(swap![1])).toBeLessThan(2_000);

    // The old table is the legacy partition with its indexes attached as they were, none rebuilt.
    const parts = await driver.withClient((c) => listEventPartitions(c));
    expect(parts[0]).toMatchObject({ name: "sc_events_legacy", legacy: true, hi: 1 });
    const indexesAfter = await driver.withClient((c) =>
      c.query<{ oid: number; node: number; attached: boolean }>(
        `SELECT i.indexrelid::int AS oid, x.relfilenode::int AS node, EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS attached
         FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = 'sc_events_legacy'::regclass`,
      ),
    );
    const after = new Map(indexesAfter.rows.map((r) => [r.oid, r]));
    for (const before of indexesBefore.rows) expect(after.get(before.oid)).toMatchObject({ node: before.node });
    // Five indexes of the parent reuse the old table's; its primary key and id index stay its own.
    expect(indexesAfter.rows.filter((r) => r.attached)).toHaveLength(5);

    // Every event, old and new, is stored once and read back in order.
    const stored = await driver.withClient((c) =>
      c.query<{ n: number; sum: string; seqs: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, sum(('x' || substr(md5(event_id), 1, 12))::bit(48)::bigint)::text AS sum FROM sc_events WHERE stream_id = $1`,
        [STREAM],
      ),
    );
    const oldIds = Array.from({ length: OLD_ROWS }, (_, i) => `old-${i + 1}`);
    expect(stored.rows[0]).toEqual({ n: OLD_ROWS + acked.size, seqs: OLD_ROWS + acked.size, sum: String(idChecksum([...oldIds, ...acked])) });
    let read = 0;
    let last = 0;
    for (let afterSeq = 0; ; ) {
      const page = await driver.readByPosition({ streamId: STREAM, afterSeq, maxSeq: nextSeq, limit: 1000 });
      for (const e of page.events) {
        expect(e.seq).toBeGreaterThan(last);
        last = e.seq;
      }
      read += page.events.length;
      if (page.completeTo >= nextSeq) break;
      afterSeq = page.completeTo;
    }
    expect(read).toBe(OLD_ROWS + acked.size);

    // Ids stay stored once: those of the old table (its own index) and those written meanwhile.
    const repeated = [...oldIds.slice(0, 5), ...[...acked].slice(0, 5), ...[...acked].slice(-5)];
    const resend = repeated.map((id) => event(nextSeq++, "again", { id }));
    const res = await driver.fencedWrite({ streamId: STREAM, shardletId: SHARDLET, epoch: 1, events: resend });
    expect(res).toMatchObject({ ok: true, inserted: 0 });
    expect(res.ok && res.duplicates.map((d) => d.index)).toEqual(repeated.map((_, i) => i));
    expect(res.ok && res.duplicates.slice(0, 5).map((d) => d.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await driver.countEvents(STREAM)).toBe(OLD_ROWS + acked.size);
  }, 120_000);

  it("creates a missing partition on demand, and a re-delivered drain or copy meets its first copy", async () => {
    const host = await createTestHostDb();
    cleanups.push(host.drop);
    const driver = new HostDriver(host.dsn, { poolSize: 4 });
    cleanups.push(() => driver.close());
    await driver.setFence(SHARDLET, STREAM, 1, "active", { lo: 0, hi: 2 ** 32 });
    const nowSec = Math.floor(Date.now() / 1000);
    const held = (parts: Awaited<ReturnType<typeof listEventPartitions>>, sec: number) => parts.some((p) => p.lo <= sec && sec < p.hi);

    // A write whose second no partition holds makes one (the template's are long past).
    const w = await driver.fencedWrite({ streamId: STREAM, shardletId: SHARDLET, epoch: 1, events: [event(1, "a", { id: "x-1" })] });
    expect(w).toMatchObject({ ok: true, inserted: 1 });
    expect(held(await driver.withClient((c) => listEventPartitions(c)), nowSec)).toBe(true);

    // A drain of rows stored three days ago, delivered twice: one partition made, each row once.
    const old = nowSec - 3 * 86_400;
    const drained = [event(2, "b", { id: "x-2" }), event(3, "b")].map((e) => ({ ...e, part: old }));
    for (let i = 0; i < 2; i++) {
      const r = await driver.drainWrite({ streamId: STREAM, parts: [{ shardletId: SHARDLET, epoch: 1, events: drained }] });
      expect(r).toMatchObject([{ ok: true }]);
    }
    expect(held(await driver.withClient((c) => listEventPartitions(c)), old)).toBe(true);
    const rows = await driver.withClient((c) => c.query<{ seq: string; part: string }>("SELECT seq, part::text FROM sc_events WHERE stream_id = $1 ORDER BY seq", [STREAM]));
    expect(rows.rows.map((r) => [Number(r.seq), Number(r.part) === old])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);

    // A migration's copy keeps each row's stored second, so a chunk copied twice, and a shadow
    // write of a row the copy also brings, store it once.
    const dest = await createTestHostDb();
    cleanups.push(dest.drop);
    const to = new HostDriver(dest.dsn, { poolSize: 4 });
    cleanups.push(() => to.close());
    await to.setFence(SHARDLET, STREAM, 1, "shadow", { lo: 0, hi: 2 ** 32 });
    const copied = await readRangeRows(driver, { streamId: STREAM, lo: 0, hi: 2 ** 32, afterSeq: 0, upToSeq: null, limit: 100 });
    expect(copied.map((r) => r.part === old)).toEqual([false, true, true]);
    const shadowed = await shadowWriteBatch(to, { streamId: STREAM, parts: [{ shardletId: SHARDLET, epoch: 1, events: [{ ...event(1, "a", { id: "x-1" }), part: copied[0]!.part }] }] });
    expect(shadowed).toEqual([{ ok: true }]);
    for (let i = 0; i < 2; i++) await writeCopiedRows(to, { streamId: STREAM, shardletId: SHARDLET, epoch: 1, states: ["shadow"], rows: copied });
    const there = await to.withClient((c) => c.query<{ n: number; ids: number }>("SELECT count(*)::int AS n, (SELECT count(*)::int FROM sc_event_ids) AS ids FROM sc_events"));
    expect(there.rows[0]).toEqual({ n: 3, ids: 2 });
  });
});

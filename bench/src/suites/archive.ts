import { createRng, keyHash } from "@shardcast/core";
import { HostDriver } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { measureInterleaved, median, medianRatio, perSecond, type Suite } from "../harness.ts";

const STREAM = "bench-archive";
const HALF = 2 ** 31;

/** Payload families: JSON records like the demo producer's, and records dominated by random ids (hard to compress). */
type Family = "records" | "random";

function payload(rng: ReturnType<typeof createRng>, family: Family, i: number): string {
  if (family === "random") {
    const hex = () => rng.int(2 ** 32).toString(16).padStart(8, "0");
    return JSON.stringify({ id: `${hex()}${hex()}${hex()}${hex()}`, trace: `${hex()}${hex()}${hex()}`, sig: Array.from({ length: 6 }, hex).join(""), n: i });
  }
  const regions = ["eu-west", "eu-north", "us-east", "us-west", "ap-south", "sa-east"];
  const devices = ["ios", "android", "web", "desktop"];
  const kinds = ["view", "cart", "checkout", "search", "login"];
  return JSON.stringify({
    user: `user-${rng.int(50_000)}`,
    region: regions[rng.int(regions.length)],
    device: devices[rng.int(devices.length)],
    kind: kinds[rng.int(kinds.length)],
    amount: Math.round(rng.next() * 50_000) / 100,
    items: Array.from({ length: 1 + rng.int(4) }, () => ({ sku: `sku-${rng.int(2_000)}`, qty: 1 + rng.int(3) })),
    session: `s-${rng.int(2 ** 32).toString(36)}`,
    n: i,
  });
}

/**
 * The cold archive on a real host: `events` events of one payload family written to two halves of
 * the hash space, one half archived. Reports the archive's size against what the same payloads
 * take in their rows, archiving and restore throughput, and read latency of the archived half vs
 * the live half (same sizes, pages at the same positions, interleaved run by run).
 */
async function runFamily(family: Family, events: number, runs: number, log: (line: string) => void): Promise<Record<string, number>> {
  const host = await createTestHostDb();
  const driver = new HostDriver(host.dsn, { poolSize: 4, statementTimeoutMs: 120_000 });
  try {
    await driver.setFence("left", STREAM, 1, "active", { lo: 0, hi: HALF });
    await driver.setFence("right", STREAM, 1, "active", { lo: HALF, hi: 2 ** 32 });
    const rng = createRng(`archive-bench-${family}`);
    const keys = Array.from({ length: 2_000 }, (_, i) => `key-${i}`);
    const rows = Array.from({ length: events }, (_, i) => {
      const key = keys[rng.int(keys.length)]!;
      const payloadJson = payload(rng, family, i);
      return { seq: i + 1, key, keyHash: keyHash(key), id: `e-${i}`, type: "t", ts: 1_700_000_000_000 + i, payloadJson, sizeBytes: payloadJson.length + key.length };
    });
    for (let i = 0; i < rows.length; i += 2_000) {
      const chunk = rows.slice(i, i + 2_000);
      for (const [id, inRange] of [["left", (h: number) => h < HALF], ["right", (h: number) => h >= HALF]] as const) {
        const part = chunk.filter((r) => inRange(r.keyHash));
        if (part.length > 0) await driver.fencedWrite({ streamId: STREAM, shardletId: id, epoch: 1, events: part });
      }
    }
    log(`${family}: wrote ${events.toLocaleString("en-US")} events`);
    const rowBytes = await driver.withClient(async (c) => {
      const r = await c.query<{ b: number; n: number }>("SELECT coalesce(sum(pg_column_size(payload)), 0)::float8 AS b, count(*)::float8 AS n FROM sc_events WHERE stream_id = $1 AND key_hash < $2", [STREAM, HALF]);
      return r.rows[0]!;
    });
    const left = { streamId: STREAM, lo: 0, hi: HALF };
    const started = performance.now();
    let archived = 0;
    for (let c = await driver.archiveChunk({ ...left, storedBefore: Date.now() + 60_000, limit: 500 }); c; c = await driver.archiveChunk({ ...left, storedBefore: Date.now() + 60_000, limit: 500, afterSeq: c.lastSeq })) archived += c.events;
    const archiveMs = performance.now() - started;
    const totals = await driver.archiveTotals(STREAM);
    log(`${family}: archived ${archived} events into ${totals.batches} batches in ${(archiveMs / 1000).toFixed(1)} s`);

    // Pages of 500 events of each half from the same positions: the archived half decompresses its batches.
    const positions = Array.from({ length: 8 }, (_, i) => Math.floor((i * events) / 8));
    const page = (lo: number, hi: number) => async () => {
      for (const after of positions) await driver.readRanges({ streamId: STREAM, segments: [{ lo, hi, after }], maxSeq: events, limit: 500, scanLimit: 20_000, fenceIds: [] });
    };
    const byKey = (wantLeft: boolean) => {
      const ks = keys.filter((k) => keyHash(k) < HALF === wantLeft).slice(0, 10);
      return async () => {
        for (const key of ks) await driver.readByKey({ streamId: STREAM, key, limit: 1_000 });
      };
    };
    const m = await measureInterleaved({ archived: page(0, HALF), live: page(HALF, 2 ** 32), archivedKey: byKey(true), liveKey: byKey(false) }, { runs, warmup: 1 });
    const restoreStarted = performance.now();
    let restored = 0;
    for (let r = await driver.restoreChunk({ ...left, limit: 4 }); r.events > 0; r = await driver.restoreChunk({ ...left, limit: 4 })) restored += r.events;
    const restoreMs = performance.now() - restoreStarted;
    if (restored !== archived) throw new Error(`restored ${restored} of ${archived} archived events`);
    return {
      [`${family}_stored_vs_raw_payload`]: totals.storedBytes / totals.rawBytes,
      // What the archived half's payloads take now (batches + the 16-byte md5 each row keeps) vs in their rows before.
      [`${family}_stored_vs_row_payload`]: (totals.storedBytes + 16 * rowBytes.n) / rowBytes.b,
      [`${family}_archive_events_per_s`]: perSecond(archived, archiveMs),
      [`${family}_restore_events_per_s`]: perSecond(restored, restoreMs),
      [`${family}_range_read_ms_archived`]: m.archived.median / positions.length,
      [`${family}_range_read_ms_live`]: m.live.median / positions.length,
      [`${family}_range_read_ratio_archived_vs_live`]: medianRatio(m.archived.samples, m.live.samples),
      [`${family}_key_read_ratio_archived_vs_live`]: medianRatio(m.archivedKey.samples, m.liveKey.samples),
    };
  } finally {
    await driver.close();
    await host.drop();
  }
}

export const archiveSuite: Suite = {
  name: "archive",
  description: "cold archive on a real host: size of the archived payloads vs their rows, archive/restore throughput, archived vs live read latency",
  async run({ quick, log }) {
    const events = quick ? 20_000 : 100_000;
    const runs = quick ? 5 : 11;
    const out: Record<string, number> = {};
    for (const family of ["records", "random"] as const) Object.assign(out, await runFamily(family, events, runs, log));
    out.events_per_family = events;
    out.read_runs = runs;
    out.median_range_read_ratio = median([out.records_range_read_ratio_archived_vs_live!, out.random_range_read_ratio_archived_vs_live!]);
    return out;
  },
};

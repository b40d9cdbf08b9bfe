import { createHash } from "node:crypto";
import type { HostDriver } from "@shardcast/db";
import { waitFor } from "@shardcast/core/testing";
import { expect } from "vitest";
import type { LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * What crash and race tests of the cold archive check after each step: every acknowledged event
 * read back once through the edge (reads by position and each shardlet's consumer range read),
 * payload included, and the host's archive accounting agreeing with its rows.
 */

interface EdgeEvent {
  seq: number;
  id: string;
  payload: unknown;
}

/** The payload the harness's producer writes for an id. */
const expectedPayload = (id: string): string => JSON.stringify({ n: id, pad: "x".repeat(40) });

/** Order-independent checksum over (seq, id, payload) triples. */
function tripleChecksum(items: Iterable<{ seq: number; id: string; payloadJson: string }>): bigint {
  let sum = 0n;
  for (const x of items) sum += BigInt(`0x${createHash("md5").update(`${x.seq}|${x.id}|${x.payloadJson}`).digest("hex").slice(0, 12)}`);
  return sum;
}

async function getJson<T>(h: LifecycleHarness, path: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}${path}`, { headers: { authorization: `Bearer ${h.token}` } });
    if (res.status === 200) return (await res.json()) as T;
    if (res.status !== 503 || attempt >= 20) throw new Error(`read ${path} failed (${res.status}): ${await res.text()}`);
  }
}

async function pages(h: LifecycleHarness, path: (after: number) => string): Promise<EdgeEvent[]> {
  const out: EdgeEvent[] = [];
  for (let after = 0; ; ) {
    const page = await getJson<{ events: EdgeEvent[]; next: number; watermark: number }>(h, path(after));
    out.push(...page.events.map((e) => ({ seq: e.seq, id: e.id, payload: e.payload })));
    if (page.next >= page.watermark || page.next === after) return out;
    after = page.next;
  }
}

/** Problems with what one read path returned, against every acknowledged event. */
function problemsOf(what: string, events: readonly EdgeEvent[], expected: ReadonlyArray<{ seq: number; id: string }>): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const e of events) {
    if (seen.has(e.seq)) problems.push(`${what}: seq ${e.seq} twice`);
    seen.add(e.seq);
  }
  const got = events.map((e) => ({ seq: e.seq, id: e.id, payloadJson: JSON.stringify(e.payload) }));
  const want = expected.map((a) => ({ seq: a.seq, id: a.id, payloadJson: expectedPayload(a.id) }));
  if (got.length !== want.length) problems.push(`${what}: ${got.length} events read for ${want.length} acknowledged`);
  if (tripleChecksum(got) !== tripleChecksum(want)) problems.push(`${what}: checksum of (seq, id, payload) differs from the acknowledged events'`);
  const bad = got.filter((e) => e.payloadJson !== expectedPayload(e.id)).slice(0, 3);
  for (const e of bad) problems.push(`${what}: seq ${e.seq} has payload ${e.payloadJson}`);
  return problems;
}

/** Every acknowledged event, payload included, through reads by position and every shardlet's range read. */
export async function readBackProblems(h: LifecycleHarness, shardlets: ReadonlyArray<{ id: string; lo: number; hi: number }>): Promise<string[]> {
  const acked = [...h.acked.values()];
  const problems = problemsOf("by position", await pages(h, (after) => `/events?after=${after}&limit=400`), acked);
  for (const s of shardlets) {
    const mine = acked.filter((a) => a.shardletId === s.id);
    problems.push(...problemsOf(`shardlet ${s.id}`, await pages(h, (after) => `/shardlets/${s.id}/events?after=${after}&limit=300`), mine));
  }
  return problems;
}

export interface ArchiveLedger {
  archivedRows: number;
  /** Payload text bytes of the archived rows, as they were before the archive. */
  archivedRawBytes: number;
  batchEvents: number;
  batchRawBytes: number;
  /** Batches no row references. */
  unreferencedBatches: number;
}

/** Payload text bytes per position, read while nothing is archived. */
export async function payloadBytes(driver: HostDriver, streamId: string): Promise<Map<number, number>> {
  const res = await driver.withClient((c) =>
    c.query<{ seq: string; b: number }>("SELECT seq, octet_length(payload::text) AS b FROM sc_events WHERE stream_id = $1 AND archive_batch IS NULL", [streamId]),
  );
  return new Map(res.rows.map((r) => [Number(r.seq), r.b]));
}

/** The host's archive of the stream as its batches count it and as its rows do. */
export async function archiveLedger(driver: HostDriver, streamId: string, bytesBySeq: ReadonlyMap<number, number>): Promise<ArchiveLedger> {
  return driver.withClient(async (c) => {
    const rows = await c.query<{ seq: string }>("SELECT seq FROM sc_events WHERE stream_id = $1 AND archive_batch IS NOT NULL", [streamId]);
    const batches = await c.query<{ events: string; raw: string; unreferenced: string }>(
      `SELECT coalesce(sum(events), 0)::text AS events, coalesce(sum(raw_bytes), 0)::text AS raw,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM sc_events e WHERE e.stream_id = a.stream_id AND e.archive_batch = a.batch_id))::text AS unreferenced
       FROM sc_archive a WHERE stream_id = $1`,
      [streamId],
    );
    const b = batches.rows[0];
    return {
      archivedRows: rows.rows.length,
      archivedRawBytes: rows.rows.reduce((n, r) => n + (bytesBySeq.get(Number(r.seq)) ?? Number.NaN), 0),
      batchEvents: Number(b?.events ?? 0),
      batchRawBytes: Number(b?.raw ?? 0),
      unreferencedBatches: Number(b?.unreferenced ?? 0),
    };
  });
}

/** The batches hold exactly the archived rows: no event or byte counted twice, no batch left without rows. */
export function expectLedgerBalanced(l: ArchiveLedger): void {
  expect({ events: l.batchEvents, bytes: l.batchRawBytes, unreferenced: l.unreferencedBatches }).toEqual({ events: l.archivedRows, bytes: l.archivedRawBytes, unreferenced: 0 });
}

/**
 * Holds a row lock on one position of the stream until `release` is called: an archive write that
 * reaches that row waits there, which is where a test injects a crash or lets a rival in.
 */
export async function holdRow(driver: HostDriver, streamId: string, seq: number): Promise<{ release: () => Promise<void> }> {
  let unlock!: () => void;
  const unlocked = new Promise<void>((r) => (unlock = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const held = driver.withClient(async (c) => {
    await c.query("BEGIN");
    await c.query("SELECT 1 FROM sc_events WHERE stream_id = $1 AND seq = $2 FOR UPDATE", [streamId, seq]);
    locked();
    await unlocked;
    await c.query("ROLLBACK");
  });
  await Promise.race([isLocked, held]);
  return {
    release: async () => {
      unlock();
      await held;
    },
  };
}

/** Backends of the host's database waiting on a row lock in an archive write, once `n` of them are. */
export async function archiveWritersWaiting(driver: HostDriver, n: number, timeoutMs = 15_000): Promise<number[]> {
  let seen = 0;
  return waitFor(
    `${n} archive writes waiting on a row lock`,
    async () => {
      const res = await driver.withClient((c) =>
        c.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO sc_archive%' ORDER BY pid`,
        ),
      );
      seen = res.rows.length;
      return seen >= n ? res.rows.map((r) => r.pid) : null;
    },
    timeoutMs,
    { explain: () => `${seen} were waiting` },
  );
}

/** Drops one backend's connection, as a host restart or a network cut would. */
export async function terminateBackend(driver: HostDriver, pid: number): Promise<void> {
  await driver.withClient((c) => c.query("SELECT pg_terminate_backend($1)", [pid]));
}

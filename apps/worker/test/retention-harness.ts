import { waitFor } from "@shardcast/core/testing";
import { listEventPartitions, type HostDriver } from "@shardcast/db";
import { callEdge, type Ack, type LifecycleHarness } from "./lifecycle-harness.ts";

/** Helpers of the retention tests: stored seconds, partition boundaries and a stream's stored rows. */

/** The host's present second. */
export async function hostSecond(driver: HostDriver): Promise<number> {
  const r = await driver.withClient((c) => c.query<{ s: string }>("SELECT floor(extract(epoch FROM now()))::bigint::text AS s"));
  return Number(r.rows[0]!.s);
}

/** Waits (on the host's clock) until the partition holding `sec` on every host has closed: later writes land in the next one. */
export async function pastPartitionOf(h: LifecycleHarness, sec: number): Promise<void> {
  for (const id of h.hostIds) {
    const driver = await h.driver(id);
    const parts = await driver.withClient((c) => listEventPartitions(c));
    const p = parts.find((x) => x.lo <= sec && sec < x.hi);
    const end = p?.hi ?? sec + 1;
    await waitFor(`host clock past ${end}`, async () => (await hostSecond(driver)) >= end, 30_000, { intervalMs: 50 });
  }
}

/**
 * Drops the (empty) time partitions a test host starts with, which hold the present in the default
 * span: the retention job then makes the test's short ones, as on a host migrated just before.
 */
export async function withoutDefaultPartitions(h: LifecycleHarness): Promise<void> {
  for (const id of h.hostIds) {
    const driver = await h.driver(id);
    await driver.withClient(async (c) => {
      for (const p of await listEventPartitions(c)) {
        if (p.legacy) continue;
        const rows = await c.query(`SELECT 1 FROM ${p.name} LIMIT 1`);
        if (rows.rowCount === 0) await c.query(`DROP TABLE ${p.name}`);
      }
    });
  }
}

export interface StoredRows {
  ids: Set<string>;
  /** Stored second of each id. */
  parts: Map<string, number>;
  bytes: number;
}

/** The stream's rows on every host (physically stored, expired or not). */
export async function storedRows(h: LifecycleHarness): Promise<StoredRows> {
  const out: StoredRows = { ids: new Set(), parts: new Map(), bytes: 0 };
  for (const id of h.hostIds) {
    const d = await h.driver(id);
    const r = await d.withClient((c) => c.query<{ event_id: string; part: string; size_bytes: number }>("SELECT event_id, part::text, size_bytes FROM sc_events WHERE stream_id = $1", [h.streamId]));
    for (const row of r.rows) {
      if (out.ids.has(row.event_id)) throw new Error(`event ${row.event_id} is stored twice`);
      out.ids.add(row.event_id);
      out.parts.set(row.event_id, Number(row.part));
      out.bytes += row.size_bytes;
    }
  }
  return out;
}

/** Bytes the hosts' time partitions of sc_events take on disk (tables, indexes, TOAST). */
export async function partitionBytes(h: LifecycleHarness): Promise<number> {
  let total = 0;
  for (const id of h.hostIds) {
    const d = await h.driver(id);
    const r = await d.withClient((c) =>
      c.query<{ b: string }>("SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::text AS b FROM pg_inherits WHERE inhparent = 'sc_events'::regclass"),
    );
    total += Number(r.rows[0]!.b);
  }
  return total;
}

/** Produces `n` events on keys spread over the key space, in batches of at most 50. */
export async function produceSpread(h: LifecycleHarness, n: number): Promise<Array<Ack & { key: string }>> {
  const acks: Array<Ack & { key: string }> = [];
  for (let done = 0; done < n; ) {
    const events = Array.from({ length: Math.min(50, n - done) }, () => ({ key: `key-${h.nextId()}`, id: h.nextId() }));
    const got = await h.produce(events);
    got.forEach((a, i) => acks.push({ ...a, key: events[i]!.key }));
    done += events.length;
  }
  return acks;
}

/** The first page of a read by position after `after`, as the edge answers it. */
export async function firstPage(h: LifecycleHarness, after: number): Promise<{ events: Array<{ seq: number; id: string }>; start?: number; next: number }> {
  const res = await callEdge<{ events: Array<{ seq: number; id: string }>; start?: number; next: number }>(h, "GET", `/events?after=${after}&limit=1000`);
  if (res.status !== 200) throw new Error(`read failed (${res.status})`);
  return res.body;
}

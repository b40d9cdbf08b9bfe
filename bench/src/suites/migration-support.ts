import { performance } from "node:perf_hooks";
import { keyHash, pollUntil, RoutingTable, type WorkloadGenerator } from "@shardcast/core";
import { listMigrationEvents, loadMigrationRun, loadRoutes, type MigrationRun } from "@shardcast/db";
import type { BenchCluster } from "../support/cluster.ts";

/** What the migration suite's copies and hand-offs share: the producers, the busy shardlet, the migration's end. */

export const BATCH = 500;
export const PRODUCERS = 4;

export function secs(from: number | undefined, to: number | undefined): string {
  return from === undefined || to === undefined ? "?" : ((to - from) / 1000).toFixed(1);
}

/** Where a pair's producers write: a stream of its own, so every pair moves a shardlet of the same size. */
export interface Target {
  c: BenchCluster;
  stream: string;
  token: string;
}

export async function post(t: Target, body: string): Promise<void> {
  const res = await fetch(`${t.c.edgeUrl}/v1/streams/${t.stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.token}` },
    body,
  });
  if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Producers sending batches from `next` until `stop()` holds; events acknowledged and the time taken. */
export async function produceUntil(t: Target, next: () => string, stop: () => boolean): Promise<{ events: number; ms: number }> {
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (!stop()) {
        await post(t, next());
        events += BATCH;
      }
    }),
  );
  return { events, ms: performance.now() - t0 };
}

/**
 * One-event writes to keys of the migrating shardlet, one at a time, until stopped: when each was
 * sent and how long it took. It runs through baselines and migrations alike, so both carry its load.
 */
export function probe(t: Target, keys: readonly string[]): { samples: Array<{ at: number; ms: number }>; stop(): Promise<void> } {
  let stopped = false;
  const samples: Array<{ at: number; ms: number }> = [];
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const at = Date.now();
      const t0 = performance.now();
      await post(t, JSON.stringify({ events: [{ key: keys[i % keys.length]!, type: "probe", payload: { i } }] }));
      samples.push({ at, ms: performance.now() - t0 });
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The shardlet of the stream the workload writes most to, and its share of the events. */
export async function busiest(c: BenchCluster, streamId: string, gen: WorkloadGenerator) {
  const table = RoutingTable.build(streamId, await loadRoutes(c.db, streamId));
  const share = new Map<string, number>();
  const sample = gen.nextBatch(20_000);
  for (const e of sample) {
    const id = table.lookup(keyHash(e.key)).id;
    share.set(id, (share.get(id) ?? 0) + 1);
  }
  const [busyId, busyCount] = [...share].sort((a, b) => b[1] - a[1])[0]!;
  return { table, busy: table.byId(busyId)!, share: busyCount / sample.length };
}

/** `n` keys named `<prefix>-<i>` that hash into the shardlet. */
export function keysIn(table: RoutingTable, shardletId: string, prefix: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) if (table.lookup(keyHash(`${prefix}-${i}`)).id === shardletId) keys.push(`${prefix}-${i}`);
  return keys;
}

export async function mustLoad(c: BenchCluster, id: string): Promise<MigrationRun> {
  const m = await loadMigrationRun(c.db, id);
  if (!m) throw new Error(`migration ${id} no longer exists`);
  return m;
}

/** How the migration stands, with its event log: what a failure or a missed deadline shows. */
export async function report(c: BenchCluster, row: MigrationRun): Promise<string> {
  const lines = (await listMigrationEvents(c.db, row.id)).map((e) => `  ${e.at.toISOString()} ${e.phase} ${e.level}: ${e.message}`);
  return `migration ${row.phase} (${row.error ?? "no error"}); its log:\n${lines.join("\n")}`;
}

/** Waits for the migration to end; throws (with its event log) if it fails or outlives the deadline. */
export async function finished(c: BenchCluster, id: string, deadline: number): Promise<void> {
  let row: MigrationRun | undefined;
  await pollUntil(
    `migration ${id} to finish`,
    async () => {
      row = await mustLoad(c, id);
      // Failed or cancelled is final: waiting out the deadline would only hide the cause longer.
      if (row.phase === "failed" || row.phase === "cancelled") throw new Error(await report(c, row));
      return row.phase === "done";
    },
    deadline - Date.now(),
    { intervalMs: 100, explain: () => (row ? report(c, row) : "") },
  );
}

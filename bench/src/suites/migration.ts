import { performance } from "node:perf_hooks";
import { keyHash, RoutingTable, WorkloadGenerator } from "@shardcast/core";
import { listMigrationEvents, loadRoutes, updateLifecycleSettings, updateMigrationSettings } from "@shardcast/db";
import { createQueue, enqueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { median, type Suite } from "../harness.ts";
import { startBenchCluster, type BenchCluster } from "../support/cluster.ts";

const BATCH = 500;
const PRODUCERS = 4;
/**
 * The copy budget, as a share of the ingest rate measured while preloading: the copy's inserts on
 * the destination compete for the same two cores as ingest on this machine, so the budget is what
 * an operator would give a migration that must not cost ingest more than a tenth.
 */
const COPY_BUDGET_SHARE = 0.1;

function secs(from: number | undefined, to: number | undefined): string {
  return from === undefined || to === undefined ? "?" : ((to - from) / 1000).toFixed(1);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function post(c: BenchCluster, body: string): Promise<void> {
  const res = await fetch(`${c.edgeUrl}/v1/streams/bench/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${c.token}` },
    body,
  });
  if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Producers sending batches from `next` until `stop()` holds; events acknowledged and the time taken. */
async function produceUntil(c: BenchCluster, next: () => string, stop: () => boolean): Promise<{ events: number; ms: number }> {
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (!stop()) {
        await post(c, next());
        events += BATCH;
      }
    }),
  );
  return { events, ms: performance.now() - t0 };
}

/** One-event writes to keys of the migrating shardlet, one at a time, until stopped: when each was sent and how long it took. */
function probe(c: BenchCluster, keys: readonly string[]): { stop(): Promise<Array<{ at: number; ms: number }>> } {
  let stopped = false;
  const samples: Array<{ at: number; ms: number }> = [];
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const at = Date.now();
      const t0 = performance.now();
      await post(c, JSON.stringify({ events: [{ key: keys[i % keys.length]!, type: "probe", payload: { i } }] }));
      samples.push({ at, ms: performance.now() - t0 });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** Waits for the migration to end; throws (with its event log) if it fails or outlives the deadline. */
async function finished(c: BenchCluster, id: string, deadline: number): Promise<void> {
  for (;;) {
    const row = await c.db.migration.findUniqueOrThrow({ where: { id }, select: { phase: true, error: true } });
    if (row.phase === "done") return;
    const over = Date.now() > deadline;
    if (row.phase === "failed" || row.phase === "cancelled" || over) {
      const lines = (await listMigrationEvents(c.db, id)).map((e) => `  ${e.at.toISOString()} ${e.phase} ${e.level}: ${e.message}`);
      throw new Error(`migration ${over ? `still ${row.phase} at the deadline` : row.phase} (${row.error ?? "no error"}); its log:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Ingest throughput while the busiest of 16 shardlets migrates between the two hosts vs. no
 * migration, in the same run: phases alternate (baseline, migration, baseline, migration back,
 * baseline, ...) with the same four producers and batches of 500 Zipf-keyed events, and each
 * migration is compared with the mean of the baselines around it. A migration phase lasts from
 * the migration's start to its end (copy with shadow writes, verification, switch, cleanup, the
 * copy and cleanup within a budget of a tenth of the preload's ingest rate), through the real job
 * queue and worker process.
 *
 * A one-event writer to the migrating shardlet runs through each migration. `switch_pause_ms_p99`
 * is the stall the switch adds: the p99 over writes that overlapped a switch window (the op-lock
 * the mover records) of their latency minus the median latency of that migration's other writes;
 * `switch_write_p99_ms` and `write_p99_ms` are the raw latencies inside and outside the windows.
 * `copy_rows_per_s` is rows copied / copy phase time.
 */
export const migrationSuite: Suite = {
  name: "migration",
  description: "ingest while a busy shardlet migrates between hosts vs no migration; write stall at the switch",
  async run({ quick, log }) {
    const pairs = quick ? 2 : 4;
    const preload = quick ? 100 : 200;
    /** Each migration is bracketed by a baseline phase this long before and after it (drift cancels out). */
    const baselineMs = quick ? 6_000 : 10_000;
    const c = await startBenchCluster({ hostCount: 2, shardCount: 4, shardletsPerShard: 4 });
    const connection = createRedis(c.redisUrl, { forBullmq: true });
    const queue = createQueue(connection, { prefix: c.prefix });
    try {
      // Splits would change the shardlet under the migration: the bench measures moves only.
      await updateLifecycleSettings(c.db, { enabled: false }, null);
      await c.startWorker({ SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS: "500", SHARDCAST_MANAGER_EVERY_MS: "60000" });

      const gen = new WorkloadGenerator({ seed: "migration-bench", keys: 50_000, zipfS: 0.9, bursts: false });
      const nextBody = () => JSON.stringify({ events: gen.nextBatch(BATCH) });

      // The busy shardlet: the one the workload writes most to.
      const table = RoutingTable.build(c.streamId, await loadRoutes(c.db, c.streamId));
      const share = new Map<string, number>();
      const sample = gen.nextBatch(20_000);
      for (const e of sample) {
        const id = table.lookup(keyHash(e.key)).id;
        share.set(id, (share.get(id) ?? 0) + 1);
      }
      const [busyId, busyCount] = [...share].sort((a, b) => b[1] - a[1])[0]!;
      const busyShare = busyCount / sample.length;
      const probeKeys: string[] = [];
      for (let i = 0; probeKeys.length < 8; i++) if (table.lookup(keyHash(`probe-${i}`)).id === busyId) probeKeys.push(`probe-${i}`);

      log(`busy shardlet ${busyId}: ${(busyShare * 100).toFixed(1)}% of the events; preloading ${preload * BATCH} events`);
      let batchesLeft = preload;
      const pre = await produceUntil(c, nextBody, () => batchesLeft-- <= 0);
      const budget = Math.max(500, Math.round(((pre.events * 1000) / pre.ms) * COPY_BUDGET_SHARE));
      await updateMigrationSettings(c.db, { rowsPerSecond: budget, cleanupGraceMs: 1_000 }, null);
      log(`preload ran at ${Math.round((pre.events * 1000) / pre.ms)} events/s: copy budget ${budget} rows/s`);

      const baseline: number[] = [];
      const during: number[] = [];
      const ratios: number[] = [];
      const pauses: number[] = [];
      const inWindowMs: number[] = [];
      const outsideMs: number[] = [];
      const switchMs: number[] = [];
      let copied = 0;
      let copyMs = 0;
      const home = (await c.db.shardlet.findUniqueOrThrow({ where: { id: busyId } })).hostId;
      let target = c.hostIds.find((h) => h !== home)!;

      const runBaseline = async () => {
        const until = performance.now() + baselineMs;
        const r = await produceUntil(c, nextBody, () => performance.now() >= until);
        return (r.events * 1000) / r.ms;
      };
      let before = await runBaseline();
      for (let pair = 0; pair < pairs; pair++) {
        const shardlet = await c.db.shardlet.findUniqueOrThrow({ where: { id: busyId } });
        const m = await c.db.migration.create({
          data: {
            streamId: c.streamId,
            shardletId: busyId,
            sourceHostId: shardlet.hostId,
            destHostId: target,
            phase: "approved",
            origin: "manual",
            reason: "benchmark",
            shardletEpoch: shardlet.epoch,
          },
        });
        let done = false;
        const watching = finished(c, m.id, Date.now() + (quick ? 180_000 : 600_000)).finally(() => {
          done = true;
        });
        const probing = probe(c, probeKeys);
        await enqueue(queue, "migration.run", { migrationId: m.id });
        const mig = await produceUntil(c, nextBody, () => done);
        const samples = await probing.stop();
        await watching;

        const events = await listMigrationEvents(c.db, m.id);
        const phaseAt = (p: string) => events.find((e) => e.phase === p)?.at.getTime();
        const sw = events.find((e) => e.message.startsWith("Switch took"))?.details as
          | { lockedAt: number; unlockedAt: number; switchMs: number; tailMs: number; mappedAfterMs: number }
          | undefined;
        if (!sw) throw new Error("the migration recorded no switch");
        const overlaps = (x: { at: number; ms: number }) => x.at <= sw.unlockedAt && x.at + x.ms >= sw.lockedAt;
        const inside = samples.filter(overlaps).map((x) => x.ms);
        const outside = samples.filter((x) => !overlaps(x)).map((x) => x.ms);
        const usual = outside.length > 0 ? median(outside) : 0;
        pauses.push(...inside.map((ms) => Math.max(0, ms - usual)));
        inWindowMs.push(...inside);
        outsideMs.push(...outside);
        switchMs.push(sw.switchMs);
        const copyStart = phaseAt("copying");
        const copyEnd = phaseAt("verifying");
        const row = await c.db.migration.findUniqueOrThrow({ where: { id: m.id }, select: { rowsCopied: true } });
        if (copyStart !== undefined && copyEnd !== undefined) {
          copied += Number(row.rowsCopied);
          copyMs += copyEnd - copyStart;
        }

        // Against the mean of the baselines right before and right after it.
        const after = await runBaseline();
        const b = (before + after) / 2;
        before = after;
        const d = (mig.events * 1000) / mig.ms;
        baseline.push(b);
        during.push(d);
        ratios.push(d / b);
        log(
          `pair ${pair + 1}/${pairs}: baseline ${Math.round(b)} ev/s, during migration ${Math.round(d)} ev/s (ratio ${(d / b).toFixed(3)}); ` +
            `${Number(row.rowsCopied)} rows copied; migration took ${(mig.ms / 1000).toFixed(1)} s (copy ${secs(copyStart, copyEnd)} s, ` +
            `verify ${secs(copyEnd, phaseAt("switching"))} s, switch lock ${sw.switchMs} ms of which tail ${sw.tailMs} ms, cleanup ${secs(phaseAt("cleanup"), phaseAt("done"))} s); ` +
            `shardlet writes during the switch: ${inside.map((ms) => Math.round(ms)).join(", ") || "none"} ms, usually ${Math.round(usual)} ms`,
        );
        target = shardlet.hostId;
      }
      return {
        baseline_events_per_s: Math.round(median(baseline)),
        during_events_per_s: Math.round(median(during)),
        during_vs_baseline_ratio: Number(median(ratios).toFixed(3)),
        switch_pause_ms_p99: Number(percentile(pauses, 99).toFixed(1)),
        copy_rows_per_s: Math.round(copyMs > 0 ? (copied * 1000) / copyMs : 0),
        copy_budget_rows_per_s: budget,
        switch_lock_ms_median: Math.round(median(switchMs)),
        switch_write_p99_ms: Number(percentile(inWindowMs, 99).toFixed(1)),
        write_p99_ms: Number(percentile(outsideMs, 99).toFixed(1)),
        busy_shardlet_share: Number(busyShare.toFixed(3)),
        migrations: pairs,
      };
    } finally {
      await queue.close();
      connection.disconnect();
      await c.close();
    }
  },
};

import { performance } from "node:perf_hooks";
import { WorkloadGenerator } from "@shardcast/core";
import {
  createApiKey,
  createStream,
  listMigrationEvents,
  updateLifecycleSettings,
  updateMigrationSettings,
} from "@shardcast/db";
import { insertApprovedMigration } from "@shardcast/db/testing";
import { createQueue, enqueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { benchEnv } from "../env.ts";
import { median, percentile, type Suite } from "../harness.ts";
import { startBenchCluster } from "../support/cluster.ts";
import { QUIET_WORKER_ENV } from "../support/quiet-worker.ts";
import { measureHandoffs } from "./migration-handoffs.ts";
import { BATCH, busiest, finished, keysIn, mustLoad, probe, produceUntil, secs, type Target } from "./migration-support.ts";

/**
 * The copy budget, as a share of the ingest rate of the first baseline: the copy's inserts on
 * the destination compete for the same two cores as ingest on this machine, so the budget is what
 * an operator would give a migration that must not cost ingest more than a tenth.
 */
const COPY_BUDGET_SHARE = 0.1;

/**
 * Ingest throughput while the busiest of 16 shardlets migrates between the two hosts vs. no
 * migration, in the same run, with four producers sending batches of 500 Zipf-keyed events. Each
 * pair has a stream of its own (so every pair moves a shardlet of the same size, not one that grew
 * through the pairs before): preload, baseline, migration, baseline, and the migration is
 * compared with the mean of the baselines around it. A migration phase lasts from the migration's
 * start to its end (copy with shadow writes, verification, switch, cleanup), through the real job
 * queue and worker process, the copy within a budget of a tenth of the ingest rate of the first
 * baseline (the cleanup's deletions within four times that).
 *
 * A one-event writer to the migrating shardlet runs through every pair. `switch_pause_ms_p99` is
 * the stall the switch adds: the p99 over writes that overlapped a switch window (the op-lock the
 * mover records) of their latency minus the median latency of the writer's other writes;
 * `switch_write_p99_ms` and `write_p99_ms` are the raw latencies inside and outside the windows.
 * `copy_rows_per_s` is rows copied / copy phase time.
 *
 * Then, in the same run, hand-off moves (`mode: "handoff"`, no row copied) of a busy shardlet back
 * and forth between the hosts every 2.5 s: the `handoff_*` figures (see measureHandoffs).
 */
export const migrationSuite: Suite = {
  name: "migration",
  description: "ingest while a busy shardlet migrates between hosts vs no migration; write stall at the switch; the same for hand-offs",
  async run({ quick, log }) {
    const pairs = benchEnv.SHARDCAST_BENCH_MIGRATION_PAIRS ?? (quick ? 2 : 4);
    const preload = quick ? 100 : 200;
    /** Each migration is bracketed by a baseline phase this long before and after it (drift cancels out). */
    const baselineMs = quick ? 6_000 : 10_000;
    const c = await startBenchCluster({ hostCount: 2, shardCount: 4, shardletsPerShard: 4 });
    const connection = createRedis(c.redisUrl, { forBullmq: true });
    const queue = createQueue(connection, { prefix: c.prefix });
    let probing: ReturnType<typeof probe> | null = null;
    try {
      // Splits would change the shardlet under the migration: the bench measures moves only.
      await updateLifecycleSettings(c.db, { enabled: false }, null);
      await c.startWorker({ ...QUIET_WORKER_ENV, SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS: "500", SHARDCAST_MANAGER_EVERY_MS: "60000" });
      const { token } = await createApiKey(c.db, { name: "migration-bench", streams: ["*"], canProduce: true, canConsume: true, createdById: null });
      const gen = new WorkloadGenerator({ seed: "migration-bench", keys: 50_000, zipfS: 0.9, bursts: false });
      const nextBody = () => JSON.stringify({ events: gen.nextBatch(BATCH) });

      const baseline: number[] = [];
      const during: number[] = [];
      const ratios: number[] = [];
      const pauses: number[] = [];
      const inWindowMs: number[] = [];
      const outsideMs: number[] = [];
      const switchMs: number[] = [];
      let copied = 0;
      let copyMs = 0;
      let budget = 0;
      let busyShare = 0;

      for (let pair = 0; pair < pairs; pair++) {
        const stream = await createStream(c.db, c.hosts, { name: `moves-${pair + 1}`, shardCount: 4, shardletsPerShard: 4 });
        const t: Target = { c, stream: stream.name, token };
        const { table, busy, share: busyOfAll } = await busiest(c, stream.id, gen);
        const busyId = busy.id;
        busyShare = busyOfAll;
        const probeKeys = keysIn(table, busyId, "probe", 8);

        let batchesLeft = preload;
        await produceUntil(t, nextBody, () => batchesLeft-- <= 0);
        const runBaseline = async () => {
          const until = performance.now() + baselineMs;
          const r = await produceUntil(t, nextBody, () => performance.now() >= until);
          return (r.events * 1000) / r.ms;
        };

        probing = probe(t, probeKeys);
        const before = await runBaseline();
        if (pair === 0) {
          budget = Math.max(500, Math.round(before * COPY_BUDGET_SHARE));
          // Deleting a row costs a fraction of copying it: the cleanup gets four times the budget.
          await updateMigrationSettings(c.db, { rowsPerSecond: budget, cleanupRowsPerSecond: budget * 4, cleanupGraceMs: 1_000 }, null);
          log(`busy shardlet: ${(busyShare * 100).toFixed(1)}% of the events; ingest ran at ${Math.round(before)} events/s: copy budget ${budget} rows/s`);
        }
        const m = await insertApprovedMigration(c.db, {
          streamId: stream.id,
          shardletId: busyId,
          sourceHostId: busy.hostId,
          destHostId: c.hostIds.find((h) => h !== busy.hostId)!,
          reason: "benchmark",
          shardletEpoch: busy.epoch,
        });
        let done = false;
        const watching = finished(c, m.id, Date.now() + (quick ? 180_000 : 600_000)).finally(() => {
          done = true;
        });
        await enqueue(queue, "migration.run", { migrationId: m.id });
        const mig = await produceUntil(t, nextBody, () => done);
        await watching;
        const after = await runBaseline();
        await probing.stop();
        const samples = probing.samples;
        probing = null;

        const events = await listMigrationEvents(c.db, m.id);
        const phaseAt = (p: string) => events.find((e) => e.phase === p)?.at.getTime();
        const sw = events.find((e) => e.message.startsWith("Switch took"))?.details as
          | { lockedAt: number; unlockedAt: number; switchMs: number; tailMs: number; tailRows: number }
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
        const row = await mustLoad(c, m.id);
        if (copyStart !== undefined && copyEnd !== undefined) {
          copied += Number(row.rowsCopied);
          copyMs += copyEnd - copyStart;
        }

        const b = (before + after) / 2;
        const d = (mig.events * 1000) / mig.ms;
        baseline.push(b);
        during.push(d);
        ratios.push(d / b);
        log(
          `pair ${pair + 1}/${pairs}: baseline ${Math.round(before)} / ${Math.round(after)} ev/s, during migration ${Math.round(d)} ev/s (ratio ${(d / b).toFixed(3)}); ` +
            `${Number(row.rowsCopied)} rows copied; migration took ${(mig.ms / 1000).toFixed(1)} s (copy ${secs(copyStart, copyEnd)} s, ` +
            `verify ${secs(copyEnd, phaseAt("switching"))} s, switch lock ${sw.switchMs} ms of which tail ${sw.tailMs} ms for ${sw.tailRows} rows, cleanup ${secs(phaseAt("cleanup"), phaseAt("done"))} s); ` +
            `shardlet writes during the switch: ${inside.map((ms) => Math.round(ms)).join(", ") || "none"} ms, usually ${Math.round(usual)} ms`,
        );
      }
      const handoffs = await measureHandoffs(c, token, gen, nextBody, { quick, log });
      // No copying migration ran (SHARDCAST_BENCH_MIGRATION_PAIRS=0): their keys read 0.
      const med = (xs: readonly number[]) => (xs.length > 0 ? median(xs) : 0);
      const p99 = (xs: readonly number[]) => (xs.length > 0 ? percentile(xs, 99) : 0);
      return {
        baseline_events_per_s: Math.round(med(baseline)),
        during_events_per_s: Math.round(med(during)),
        during_vs_baseline_ratio: Number(med(ratios).toFixed(3)),
        switch_pause_ms_p99: Number(p99(pauses).toFixed(1)),
        copy_rows_per_s: Math.round(copyMs > 0 ? (copied * 1000) / copyMs : 0),
        copy_budget_rows_per_s: budget,
        switch_lock_ms_median: Math.round(med(switchMs)),
        switch_write_p99_ms: Number(p99(inWindowMs).toFixed(1)),
        write_p99_ms: Number(p99(outsideMs).toFixed(1)),
        busy_shardlet_share: Number(busyShare.toFixed(3)),
        migrations: pairs,
        ...handoffs,
      };
    } finally {
      await probing?.stop().catch(() => undefined);
      await queue.close();
      connection.disconnect();
      await c.close();
    }
  },
};

import { analyzeReplicaEvents, createReplica, HostDriver, readRangeRows, readReplicaRanges, writeCopiedRows } from "@shardcast/db";
import { createTestHostDb, fillReplica } from "@shardcast/db/testing";
import { measureInterleaved, medianRatio, perSecond, type Suite } from "../harness.ts";
import { writeRecords } from "../support/host-records.ts";

const STREAM = "bench-replica";
const CHUNK = 2_000;

/**
 * Read replicas on real hosts: a shardlet of `events` events on one host database, replicated to a
 * second one. Reports the sync's copy rate against the migration's copy of the same rows (the
 * baseline: the same read, a fenced write into sc_events), and a consumer's range read from the
 * replica against the same read from the shardlet's host (pages of 500 at the same positions,
 * interleaved run by run). Both host databases share one PostgreSQL server here, so this measures
 * what a replica read costs, not the capacity a second server adds.
 */
export const replicaSuite: Suite = {
  name: "replica",
  description: "read replicas on real hosts: sync copy rate vs the migration copy, range read from a replica vs from the shardlet's host",
  async run({ quick, log }) {
    const events = quick ? 20_000 : 100_000;
    const runs = quick ? 5 : 11;
    const [a, b, c] = await Promise.all([createTestHostDb(), createTestHostDb(), createTestHostDb()]);
    const source = new HostDriver(a.dsn, { poolSize: 4, statementTimeoutMs: 120_000 });
    const replicaHost = new HostDriver(b.dsn, { poolSize: 4, statementTimeoutMs: 120_000 });
    const copyHost = new HostDriver(c.dsn, { poolSize: 4, statementTimeoutMs: 120_000 });
    try {
      const range = { streamId: STREAM, lo: 0, hi: 2 ** 32 };
      await writeRecords(source, { streamId: STREAM, shardletId: "s", events, seed: "replica-bench" });
      await copyHost.setFence("s", STREAM, 1, "shadow", { lo: 0, hi: 2 ** 32 });
      log(`wrote ${events.toLocaleString("en-US")} events`);

      await createReplica(replicaHost, { replicaId: "r", ...range });
      let started = performance.now();
      await fillReplica(source, replicaHost, { replicaId: "r", ...range, shardletId: "s", upToSeq: events, chunk: CHUNK });
      // As the sync job does after a replica's first fill.
      await analyzeReplicaEvents(replicaHost);
      const syncMs = performance.now() - started;
      started = performance.now();
      for (let after = 0; ; ) {
        const rows = await readRangeRows(source, { ...range, afterSeq: after, upToSeq: events, limit: CHUNK });
        if (rows.length === 0) break;
        await writeCopiedRows(copyHost, { streamId: STREAM, shardletId: "s", epoch: 1, states: ["shadow"], rows });
        after = rows[rows.length - 1]!.seq;
      }
      const copyMs = performance.now() - started;
      log(`synced in ${(syncMs / 1000).toFixed(1)} s, migration copy in ${(copyMs / 1000).toFixed(1)} s`);

      const positions = Array.from({ length: 8 }, (_, i) => Math.floor((i * events) / 8));
      const segments = (after: number) => [{ lo: 0, hi: 2 ** 31, after }];
      const m = await measureInterleaved(
        {
          host: async () => {
            for (const after of positions) await source.readRanges({ streamId: STREAM, segments: segments(after), maxSeq: events, limit: 500, scanLimit: 20_000, fenceIds: ["s"] });
          },
          replica: async () => {
            for (const after of positions) await readReplicaRanges(replicaHost, { replicaId: "r", streamId: STREAM, segments: segments(after), maxSeq: events, limit: 500 });
          },
        },
        { runs, warmup: 1 },
      );
      return {
        events,
        read_runs: runs,
        sync_events_per_s: perSecond(events, syncMs),
        migration_copy_events_per_s: perSecond(events, copyMs),
        sync_vs_migration_copy_rate: copyMs / syncMs,
        range_read_ms_host: m.host.median / positions.length,
        range_read_ms_replica: m.replica.median / positions.length,
        range_read_ratio_replica_vs_host: medianRatio(m.replica.samples, m.host.samples),
      };
    } finally {
      await Promise.all([source.close(), replicaHost.close(), copyHost.close()]);
      await Promise.all([a.drop(), b.drop(), c.drop()]);
    }
  },
};

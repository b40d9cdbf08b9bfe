import { performance } from "node:perf_hooks";
import { equalRanges, HASH_SPACE, keyHash, parseProfilerSettings, RoutingTable, WorkloadGenerator, type ShardletRoute } from "@shardcast/core";
import type { RouteEntry } from "../../../apps/edge/src/routing-cache.ts";
import { EdgeProfiler } from "../../../apps/edge/src/telemetry/profiler.ts";
import { median } from "../harness.ts";

/**
 * The edge's data profiler alone, in this process: microseconds of CPU per acknowledged event at
 * the product's default sample rate, with the `ingest` suite's four key fields, over batches of
 * the same workload (eight shardlets, events in the producer's order). Median of `passes` passes
 * over the same batches, each with a fresh profiler. A figure of the profiler's own cost, steadier
 * than the ratio of two ingest runs on a shared machine.
 */
export function profilerMicrosPerEvent(opts: { batches: number; batchSize: number; keyFields: string[]; passes?: number }): number {
  const gen = new WorkloadGenerator({ seed: "profiler-cost", keys: 20_000, bursts: false });
  const routes: ShardletRoute[] = equalRanges(0, HASH_SPACE, 8).map(([lo, hi], i) => ({
    id: `s${i}`,
    streamId: "bench",
    shardId: `sh${i}`,
    hostId: "h",
    epoch: 1,
    state: "active",
    lo,
    hi,
    shadowHostId: null,
  }));
  const table = RoutingTable.build("bench", routes);
  // The profiler reads only the stream's id and name and the routing table from its route entry.
  const entry = { meta: { id: "bench", name: "bench" }, table } as unknown as RouteEntry;
  const batches = Array.from({ length: opts.batches }, () =>
    gen.nextBatch(opts.batchSize).map((e) => {
      const payloadJson = JSON.stringify(e.payload);
      return { key: e.key, id: e.id, type: e.type, ts: e.ts, payloadJson, sizeBytes: payloadJson.length + e.key.length, payload: e.payload };
    }),
  );
  const outcomes = batches.map((b) => b.map((e) => ({ shardletId: table.lookup(keyHash(e.key)).id, duplicate: false })));
  const settings = parseProfilerSettings({ streams: { bench: { keyFields: opts.keyFields } } });
  const perEvent: number[] = [];
  for (let pass = 0; pass < (opts.passes ?? 5); pass++) {
    const profiler = new EdgeProfiler({ settings: () => settings });
    const started = performance.now();
    for (let i = 0; i < batches.length; i++) profiler.recordWrites(entry, batches[i]!, outcomes[i]!, 5);
    perEvent.push(((performance.now() - started) * 1000) / (batches.length * opts.batchSize));
  }
  return median(perEvent);
}

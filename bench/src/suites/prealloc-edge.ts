import { performance } from "node:perf_hooks";
import { WorkloadGenerator } from "@shardcast/core";
import { median } from "../harness.ts";
import { sendBatches, startBenchCluster } from "../support/cluster.ts";

const BATCH = 500;
const CONCURRENCY = 4;

/**
 * The content model's cost on the write path: two edge processes on one cluster, one with the
 * model on (the default) and one with SHARDCAST_PREALLOC_MODEL=off, the same steady workload
 * (typed events over 20,000 keys, no bursts) sent to each in turn, run by run, rotating which goes
 * first. `edge_overhead_ratio` is the median of per-run throughput ratios on / off.
 */
export async function measureEdgeOverhead({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number>> {
  const runs = quick ? 3 : 7;
  const batchesPerRun = quick ? 12 : 40;
  const c = await startBenchCluster({ hostCount: 1, shardCount: 8, shardletsPerShard: 2 });
  try {
    const offUrl = await c.startEdge({ SHARDCAST_PREALLOC_MODEL: "off" });
    const gen = new WorkloadGenerator({ seed: "prealloc-edge-bench", keys: 20_000, bursts: false });
    const prepare = () => Array.from({ length: batchesPerRun }, () => JSON.stringify({ events: gen.nextBatch(BATCH) }));
    const rate = async (url: string, bodies: string[]) => {
      const start = performance.now();
      await sendBatches(url, c.token, bodies, CONCURRENCY);
      return (bodies.length * BATCH * 1000) / (performance.now() - start);
    };
    log("edge overhead: warm-up");
    const warm = prepare();
    await rate(c.edgeUrl, warm);
    await rate(offUrl, warm);
    const on: number[] = [];
    const off: number[] = [];
    const ratios: number[] = [];
    for (let run = 0; run < runs; run++) {
      const bodies = prepare();
      let a = 0;
      let b = 0;
      if (run % 2 === 0) {
        a = await rate(c.edgeUrl, bodies);
        b = await rate(offUrl, prepare());
      } else {
        b = await rate(offUrl, bodies);
        a = await rate(c.edgeUrl, prepare());
      }
      on.push(a);
      off.push(b);
      ratios.push(a / b);
      log(`edge overhead run ${run + 1}/${runs}: model on ${Math.round(a)} ev/s, off ${Math.round(b)} ev/s, ratio ${(a / b).toFixed(3)}`);
    }
    return {
      edge_events_per_s_model_on: Math.round(median(on)),
      edge_events_per_s_model_off: Math.round(median(off)),
      edge_overhead_ratio: Number(median(ratios).toFixed(3)),
    };
  } finally {
    await c.close();
  }
}

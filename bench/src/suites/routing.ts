import { createRng, HASH_SPACE, keyHash, planWrite, RoutingTable, type ShardletRoute } from "@shardcast/core";
import { consume, measureInterleaved, median, medianRatio, perSecond, type Suite } from "../harness.ts";

const SHARDLETS = 10_000;
const STREAM = "bench";

/** `count` shardlets with random widths (as after many uneven splits) tiling the hash space. */
function randomTiling(count: number, seed: string): ShardletRoute[] {
  const rng = createRng(seed);
  const cuts = new Set<number>();
  while (cuts.size < count - 1) cuts.add(1 + rng.int(HASH_SPACE - 1));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), HASH_SPACE];
  return bounds.slice(0, -1).map((lo, i) => ({
    id: `shardlet-${i}`,
    streamId: STREAM,
    shardId: `shard-${i >> 6}`,
    lo,
    hi: bounds[i + 1]!,
    hostId: `host-${i % 3}`,
    epoch: i,
    state: "active" as const,
  }));
}

/**
 * Routing lookups over 10,000 shardlets on one core (the bench process is single-threaded).
 * Baselines measured in the same runs, interleaved:
 * - `array_index`: the same loop reading `routes[hash & 8191]`, i.e. the cost of the loop, the
 *   hash array and the result read without any search (an upper bound for any lookup);
 * - `linear16`: a naive linear scan over a 16-entry range table (what a few static shards cost).
 * And the write path's plan of a batch (`planWrite`, batches of 500 events) per event:
 * `plan_write_events_per_s`, and `plan_write_vs_lookup_ratio` against the bare lookups.
 */
export const routingSuite: Suite = {
  name: "routing",
  description: "RoutingTable lookups/s over 10,000 shardlets on one core, with in-run baselines",
  async run({ quick, log }) {
    const runs = quick ? 3 : 7;
    const warmup = quick ? 1 : 2;
    const hashCount = 1 << 20;
    const passes = quick ? 1 : 4;
    const lookupsPerRun = hashCount * passes;

    log(`building a table of ${SHARDLETS.toLocaleString("en-US")} shardlets`);
    const table = RoutingTable.build(STREAM, randomTiling(SHARDLETS, "routing-bench"));
    const routes = table.all();

    const rng = createRng("routing-bench-hashes");
    const hashes = new Uint32Array(hashCount);
    for (let i = 0; i < hashCount; i++) hashes[i] = rng.uint32();

    // 16-byte keys, as a producer's user or device ids might be.
    const keyCount = 1 << 16;
    const keys = Array.from({ length: keyCount }, () => `user-${String(rng.int(1e11)).padStart(11, "0")}`);
    const keyPasses = quick ? 8 : 32;
    const routesPerRun = keyCount * keyPasses;

    // The write path's plan of a batch (core's `planWrite`): batches of 500 events with ids, no
    // shardlet locked or flagged, so each event costs a lookup and its host and shardlet grouping.
    // A plan costs some ten lookups an event: a quick run plans an eighth of the hashes, so the
    // suite's test stays within its limit while every workspace's tests share two cores.
    const BATCH = 500;
    const planEvents = quick ? hashCount / 8 : hashCount;
    const batches = Array.from({ length: planEvents / BATCH }, (_, b) =>
      Array.from({ length: BATCH }, (_, i) => ({ hash: hashes[b * BATCH + i]!, event: { id: `e-${b}-${i}` } })),
    );
    const homes = new Map(routes.map((r) => [r.shardId, { homeHostId: r.hostId }]));
    const planInput = { table, shards: homes, isLocked: () => false, refused: new Map<string, number>() };

    const small = randomTiling(16, "routing-bench-16");
    const smallHis = Uint32Array.from(small, (r) => r.hi - 1); // his - 1 fit in a Uint32Array
    const mask = 8191;

    const fns = {
      lookup: () => {
        let acc = 0;
        for (let p = 0; p < passes; p++) {
          for (let i = 0; i < hashCount; i++) acc += table.lookup(hashes[i]!).epoch;
        }
        consume(acc);
      },
      array_index: () => {
        let acc = 0;
        for (let p = 0; p < passes; p++) {
          for (let i = 0; i < hashCount; i++) acc += routes[hashes[i]! & mask]!.epoch;
        }
        consume(acc);
      },
      linear16: () => {
        let acc = 0;
        for (let p = 0; p < passes; p++) {
          for (let i = 0; i < hashCount; i++) {
            const h = hashes[i]!;
            let j = 0;
            while (h > smallHis[j]!) j++;
            acc += small[j]!.epoch;
          }
        }
        consume(acc);
      },
      route_with_hash: () => {
        let acc = 0;
        for (let p = 0; p < keyPasses; p++) {
          for (let i = 0; i < keyCount; i++) acc += table.route(keys[i]!).epoch;
        }
        consume(acc);
      },
      plan_write: () => {
        let acc = 0;
        for (const batch of batches) acc += planWrite(batch, planInput).fast.size;
        consume(acc);
      },
      key_hash: () => {
        let acc = 0;
        for (let p = 0; p < keyPasses; p++) {
          for (let i = 0; i < keyCount; i++) acc = (acc + keyHash(keys[i]!)) | 0;
        }
        consume(acc);
      },
    };

    log(`${runs} runs after ${warmup} warm-up; ${lookupsPerRun.toLocaleString("en-US")} lookups and ${routesPerRun.toLocaleString("en-US")} keyed routes per run`);
    const m = await measureInterleaved(fns, {
      runs,
      warmup,
      onRun: (run, ms) => {
        log(
          `run ${run + 1}/${runs}: lookup ${fmt(perSecond(lookupsPerRun, ms.lookup))}/s, ` +
            `route_with_hash ${fmt(perSecond(routesPerRun, ms.route_with_hash))}/s, ` +
            `array_index ${fmt(perSecond(lookupsPerRun, ms.array_index))}/s`,
        );
      },
    });

    const rate = (name: keyof typeof fns, ops: number) => median(m[name].samples.map((ms) => perSecond(ops, ms)));
    const lookupsPerS = rate("lookup", lookupsPerRun);
    return {
      lookups_per_s: lookupsPerS,
      lookup_ns_median: (m.lookup.median * 1e6) / lookupsPerRun,
      lookups_per_s_worst_run: perSecond(lookupsPerRun, Math.max(...m.lookup.samples)),
      route_with_hash_per_s: rate("route_with_hash", routesPerRun),
      key_hash_per_s: rate("key_hash", routesPerRun),
      plan_write_events_per_s: rate("plan_write", planEvents),
      plan_write_vs_lookup_ratio: medianRatio(
        m.lookup.samples.map((ms) => ms / passes),
        m.plan_write.samples.map((ms) => (ms * hashCount) / planEvents),
      ),
      array_index_per_s: rate("array_index", lookupsPerRun),
      linear16_per_s: rate("linear16", lookupsPerRun),
      lookup_vs_array_index_ratio: medianRatio(m.array_index.samples, m.lookup.samples),
      lookup_vs_linear16_ratio: medianRatio(m.linear16.samples, m.lookup.samples),
      shardlets: table.size,
      runs,
    };
  },
};

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

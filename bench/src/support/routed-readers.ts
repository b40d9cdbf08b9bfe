import { setTimeout as sleep } from "node:timers/promises";
import type { Rng } from "@shardcast/core";
import type { ReplicaReadResult } from "@shardcast/db";
import { RangeReader, type RangeHosts } from "../../../apps/edge/src/consumers/range-reader.ts";
import type { ReplicaHints } from "../../../apps/edge/src/consumers/replica-routing.ts";
import type { RouteEntry } from "../../../apps/edge/src/routing-cache.ts";

/** One timed page read: when it started (ms from the phase's start), how long it took, who served it. */
export interface ReadSample {
  at: number;
  ms: number;
  /** `host`, or the replica's id. */
  target: string;
}

/**
 * Readers that read pages of one shardlet at fixed positions through the edge's own range reader,
 * routed by `hints`, each waiting `thinkMs` between its pages, until `durationMs` has passed.
 * Each reader has a range reader of its own over the same hints (the routing's state is all in
 * them), so a sample knows which target served it even with reads of other readers in flight.
 */
export async function readPages(o: {
  entry: RouteEntry;
  shardletId: string;
  hints: ReplicaHints;
  readRanges: RangeHosts["readRanges"];
  readReplica: NonNullable<RangeHosts["readReplica"]>;
  watermark: number;
  positions: readonly number[];
  limit: number;
  readers: number;
  thinkMs: number;
  durationMs: number;
  rng: Rng;
  /** Called at these times (ms from the start), e.g. to slow a replica down. */
  at?: ReadonlyArray<{ ms: number; run: () => void }>;
}): Promise<ReadSample[]> {
  const s = o.entry.table.all().find((r) => r.id === o.shardletId);
  if (!s) throw new Error(`no shardlet ${o.shardletId} in the routes`);
  const samples: ReadSample[] = [];
  const start = performance.now();
  const timers = (o.at ?? []).map((e) => setTimeout(e.run, e.ms));
  try {
    await Promise.all(
      Array.from({ length: o.readers }, async (_, i) => {
        const rng = o.rng.fork(`reader-${i}`);
        let target = "host";
        const reader = new RangeReader({
          routing: { refreshById: () => Promise.resolve(o.entry) },
          sequences: { watermark: () => Promise.resolve(o.watermark) },
          hosts: {
            readRanges: (hostId, q) => {
              target = "host";
              return o.readRanges(hostId, q);
            },
            readReplica: (hostId, q): Promise<ReplicaReadResult> => {
              target = q.replicaId;
              return o.readReplica(hostId, q);
            },
          },
          replicas: o.hints,
        });
        while (performance.now() - start < o.durationMs) {
          const after = rng.pick(o.positions);
          const started = performance.now();
          await reader.read(o.entry, [{ shardletId: s.id, lo: s.lo, hi: s.hi, cursor: [{ lo: s.lo, hi: s.hi, after }] }], o.limit, undefined, o.watermark);
          samples.push({ at: started - start, ms: performance.now() - started, target });
          await sleep(o.thinkMs);
        }
      }),
    );
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  return samples;
}

/** The share of `samples` served by `target` in each `windowMs` window from `from`, sliding by `stepMs`: [window end, share]. */
export function windowShares(samples: readonly ReadSample[], target: string, from: number, to: number, windowMs: number, stepMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let lo = from; lo + windowMs <= to; lo += stepMs) {
    const inside = samples.filter((x) => x.at >= lo && x.at < lo + windowMs);
    if (inside.length > 0) out.push([lo + windowMs, inside.filter((x) => x.target === target).length / inside.length]);
  }
  return out;
}

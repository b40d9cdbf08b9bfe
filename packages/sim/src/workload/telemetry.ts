import { HASH_SPACE, ShardcastError } from "@shardcast/core";
import { MAX_MATRIX_CELLS, WorkloadBuilder } from "./builder.ts";
import type { SimWorkload } from "./types.ts";

/** A shardlet that has telemetry in the window (retired ones included: their range still says where the load was). */
export interface TelemetryRange {
  id: string;
  streamId: string;
  lo: number;
  hi: number;
  /** Events/s per bucket of the window, oldest first (missing buckets are 0). */
  rates: readonly number[];
}

export interface TelemetryWorkloadInput {
  name: string;
  description: string;
  bucketMs: number;
  buckets: number;
  period: number;
  /** Every stream of the cluster (those without telemetry get no keys). */
  streamIds: readonly string[];
  ranges: readonly TelemetryRange[];
  /** Keys spread over each range (more keys let splits divide a range more finely). */
  keysPerRange: number;
}

/**
 * A workload from recorded per-shardlet write rates: each shardlet's rate is spread evenly over
 * `keysPerRange` keys at evenly spaced hashes of its range, so the simulator can split and move
 * the range the way the real cluster could. Telemetry has no finer location of load inside a
 * range than that (hot keys excepted), so a split divides a range's load by key count.
 */
export function telemetryWorkload(input: TelemetryWorkloadInput): SimWorkload {
  const k = Math.max(1, Math.floor(input.keysPerRange));
  const byStream = new Map<string, TelemetryRange[]>(input.streamIds.map((id) => [id, []]));
  for (const r of input.ranges) {
    if (!(r.lo >= 0 && r.hi <= HASH_SPACE && r.hi > r.lo)) throw new ShardcastError("bad_request", `shardlet ${r.id} has an empty or invalid range`);
    const list = byStream.get(r.streamId);
    if (list) list.push(r);
    else byStream.set(r.streamId, [r]);
  }
  if (input.ranges.length * k * input.buckets > MAX_MATRIX_CELLS) {
    throw new ShardcastError("bad_request", `telemetry of ${input.ranges.length} shardlets over ${input.buckets} buckets is too large to simulate; use fewer keys per range`);
  }
  const streams = [...byStream.entries()].map(([id, ranges]) => {
    const hashes: number[] = [];
    for (const r of ranges) {
      const keys = Math.max(1, Math.min(k, r.hi - r.lo));
      for (let j = 0; j < keys; j++) hashes.push(r.lo + Math.floor(((j + 0.5) * (r.hi - r.lo)) / keys));
    }
    return { id, keys: hashes.map((h) => `hash-${h}`), hashes };
  });
  const builder = new WorkloadBuilder(
    {
      name: input.name,
      description: input.description,
      source: "telemetry",
      bucketMs: input.bucketMs,
      buckets: input.buckets,
      period: input.period,
      params: { ranges: input.ranges.length, keysPerRange: k },
    },
    streams.filter((s) => s.keys.length > 0).length > 0 ? streams : [{ id: input.streamIds[0] ?? "empty", keys: ["hash-0"], hashes: [0] }],
  );
  builder.streams.forEach((stream, s) => {
    let offset = 0;
    for (const r of byStream.get(stream.id) ?? []) {
      const keys = Math.max(1, Math.min(k, r.hi - r.lo));
      for (let b = 0; b < input.buckets; b++) {
        const rate = r.rates[b] ?? 0;
        if (rate > 0) for (let j = 0; j < keys; j++) builder.add(b, s, offset + j, rate / keys);
      }
      offset += keys;
    }
  });
  return builder.build();
}

/**
 * A simulated workload: keys (with their 32-bit hashes) and each key's write rate per time bucket.
 * Shardlets are hash ranges, so a shardlet's load at any time is the sum of its keys' rates; the
 * matrix is kept as prefix sums over keys so that sum costs two reads whatever the range.
 */

export interface SimStream {
  id: string;
  /** Keys of this stream are `keyStart .. keyEnd - 1` in the workload's key order. */
  keyStart: number;
  keyEnd: number;
  /**
   * The hosts a new layout places this stream on: `span` hosts from index `offset` (wrapping), a
   * tenant of its own on a subset of the cluster. Absent: every host.
   */
  hosts?: { offset: number; span: number };
}

/** Load announced ahead of time (a client hint): `rate` extra events/s on [lo, hi) of a stream. */
export interface LoadAnnouncement {
  streamId: string;
  lo: number;
  hi: number;
  fromBucket: number;
  toBucket: number;
  /** Expected extra events/s over the window. */
  rate: number;
  /** Bucket from which the hint is known (posted by the client). */
  knownFromBucket: number;
}

/** Something notable the generator put into the workload (shown in reports, asserted in tests). */
export interface WorkloadMarker {
  kind: "flash_crowd" | "ramp" | "drift";
  streamId: string;
  lo: number;
  hi: number;
  startBucket: number;
  peakBucket: number;
  endBucket: number;
  /** Exact time of the peak, ms from the start (flash crowds). */
  peakMs?: number;
  label: string;
}

export interface SimWorkload {
  name: string;
  description: string;
  /** Where the data comes from (a trace file set and its licence, or "generator"). */
  source: string;
  bucketMs: number;
  buckets: number;
  /** Season length in buckets (a day). */
  period: number;
  streams: readonly SimStream[];
  /** Key hashes: grouped by stream, ascending within a stream. */
  keyHashes: Uint32Array;
  /**
   * Prefix sums of key rates: `prefix[b * (K + 1) + i]` is the summed events/s of keys `0..i-1`
   * in bucket b (K = number of keys). A range [a, c) of keys has load `prefix[.. + c] - prefix[.. + a]`.
   */
  prefix: Float64Array;
  announcements: readonly LoadAnnouncement[];
  markers: readonly WorkloadMarker[];
  /** Parameters the workload was built with (documented in the CLI help and the report). */
  params: Record<string, string | number | boolean>;
}

export function keyCount(w: Pick<SimWorkload, "keyHashes">): number {
  return w.keyHashes.length;
}

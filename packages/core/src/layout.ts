import { ShardcastError } from "./errors.ts";
import { HASH_SPACE } from "./types.ts";

export interface LayoutInput {
  shardCount: number;
  /** Initial shardlets per shard (equal sub-ranges). */
  shardletsPerShard: number;
  /** Active hosts to place on, in a stable order. */
  hostIds: readonly string[];
}

export interface PlannedShard {
  index: number;
  lo: number;
  hi: number;
  homeHostId: string;
}

export interface PlannedShardlet {
  shardIndex: number;
  lo: number;
  hi: number;
  hostId: string;
}

export const MAX_SHARDS_PER_STREAM = 1024;
export const MAX_INITIAL_SHARDLETS_PER_SHARD = 64;

/** Boundaries of `parts` equal sub-ranges of [lo, hi), integer-aligned and covering it exactly. */
export function equalRanges(lo: number, hi: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const width = hi - lo;
  for (let i = 0; i < parts; i++) {
    const a = lo + Math.floor((width * i) / parts);
    const b = i === parts - 1 ? hi : lo + Math.floor((width * (i + 1)) / parts);
    out.push([a, b]);
  }
  return out;
}

/**
 * Initial placement of a new stream: `shardCount` equal shards over the 32-bit hash space, each
 * cut into equal shardlets, spread round-robin over hosts so neighbouring shardlets land on
 * different hosts. Later placement follows load (lifecycle and analyzer), not this function.
 */
export function planStreamLayout(input: LayoutInput): { shards: PlannedShard[]; shardlets: PlannedShardlet[] } {
  const { shardCount, shardletsPerShard, hostIds } = input;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS_PER_STREAM) {
    throw new ShardcastError("bad_request", `shard count must be an integer from 1 to ${MAX_SHARDS_PER_STREAM}`);
  }
  if (!Number.isInteger(shardletsPerShard) || shardletsPerShard < 1 || shardletsPerShard > MAX_INITIAL_SHARDLETS_PER_SHARD) {
    throw new ShardcastError(
      "bad_request",
      `shardlets per shard must be an integer from 1 to ${MAX_INITIAL_SHARDLETS_PER_SHARD}`,
    );
  }
  if (hostIds.length === 0) {
    throw new ShardcastError("unavailable", "no active storage host: register a host before creating a stream");
  }
  const shards: PlannedShard[] = [];
  const shardlets: PlannedShardlet[] = [];
  let slot = 0;
  equalRanges(0, HASH_SPACE, shardCount).forEach(([lo, hi], index) => {
    shards.push({ index, lo, hi, homeHostId: hostIds[index % hostIds.length]! });
    for (const [slo, shi] of equalRanges(lo, hi, shardletsPerShard)) {
      shardlets.push({ shardIndex: index, lo: slo, hi: shi, hostId: hostIds[slot % hostIds.length]! });
      slot++;
    }
  });
  return { shards, shardlets };
}

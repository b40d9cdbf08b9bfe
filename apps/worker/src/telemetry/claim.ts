import {
  BUCKET_KEY_KINDS,
  decodeBucket,
  emptyDeltas,
  telemetryRedisKeys,
  type TelemetryDeltas,
} from "@shardcast/core";
import type { Redis } from "ioredis";

/**
 * Claims up to ARGV[4] dirty buckets atomically: each bucket's keys are renamed to the batch's
 * claimed keys and the bucket leaves the dirty set, then the batch is recorded. An edge's flush
 * (one MULTI) lands wholly before the claim, in the batch, or wholly after it, in fresh keys that
 * mark the bucket dirty again.
 * KEYS: dirty set, batches hash. ARGV: key root (`{<prefix>}:tm:`), batch id, claim time, max buckets.
 * The bucket keys are derived from the root rather than declared: Redis Cluster allows that only
 * because the root carries the same hash tag as KEYS, so every key here shares their slot.
 */
const CLAIM_SCRIPT = `
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)
if #members == 0 then return {} end
local kinds = {${BUCKET_KEY_KINDS.map((k) => `'${k}'`).join(", ")}}
for _, m in ipairs(members) do
  for _, kind in ipairs(kinds) do
    local src = ARGV[1] .. kind .. ':' .. m
    if redis.call('EXISTS', src) == 1 then
      redis.call('RENAME', src, ARGV[1] .. 'p:' .. ARGV[2] .. ':' .. kind .. ':' .. m)
    end
  end
  redis.call('ZREM', KEYS[1], m)
end
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode({claimedAt = ARGV[3], buckets = members}))
return members
`;

export interface ClaimedBatch {
  id: string;
  claimedAt: number;
  /** Bucket starts (epoch ms). */
  buckets: number[];
}

export async function claimBatch(redis: Redis, prefix: string, opts: { id: string; now: number; maxBuckets: number }): Promise<ClaimedBatch | null> {
  const keys = telemetryRedisKeys(prefix);
  const members = (await redis.eval(CLAIM_SCRIPT, 2, keys.dirty, keys.batches, keys.root, opts.id, String(opts.now), String(opts.maxBuckets))) as string[];
  if (members.length === 0) return null;
  return { id: opts.id, claimedAt: opts.now, buckets: members.map(Number) };
}

/** Batches claimed earlier and not released: a rollup that stopped between claim and release. */
export async function pendingBatches(redis: Redis, prefix: string): Promise<{ batches: ClaimedBatch[]; malformed: string[] }> {
  const raw = await redis.hgetall(telemetryRedisKeys(prefix).batches);
  const batches: ClaimedBatch[] = [];
  const malformed: string[] = [];
  for (const [id, json] of Object.entries(raw)) {
    try {
      const v = JSON.parse(json) as { claimedAt?: unknown; buckets?: unknown };
      const claimedAt = Number(v.claimedAt);
      // cjson encodes an empty table as {}: a batch always has buckets, so anything else is malformed.
      if (!Number.isFinite(claimedAt) || !Array.isArray(v.buckets)) throw new Error("bad batch record");
      batches.push({ id, claimedAt, buckets: v.buckets.map(Number).filter(Number.isFinite) });
    } catch {
      malformed.push(id);
    }
  }
  batches.sort((a, b) => a.claimedAt - b.claimedAt || (a.id < b.id ? -1 : 1));
  return { batches, malformed };
}

/** Replies per bucket in `readBatch`'s pipeline: one per key kind. */
const KINDS = BUCKET_KEY_KINDS.length;

/** The deltas of a claimed batch (its keys are no longer written to by anyone). */
export async function readBatch(redis: Redis, prefix: string, batch: ClaimedBatch): Promise<{ deltas: TelemetryDeltas; malformed: number }> {
  const keys = telemetryRedisKeys(prefix);
  const pipe = redis.pipeline();
  for (const b of batch.buckets) {
    pipe.hgetall(keys.claimed(batch.id, "c", b));
    pipe.zrange(keys.claimed(batch.id, "x", b), 0, -1, "WITHSCORES");
    pipe.hgetall(keys.claimed(batch.id, "k", b));
    pipe.hgetall(keys.claimed(batch.id, "r", b));
    pipe.lrange(keys.claimed(batch.id, "f", b), 0, -1);
    pipe.zrange(keys.claimed(batch.id, "n", b), 0, -1, "WITHSCORES");
  }
  const replies = (await pipe.exec()) ?? [];
  const reply = (i: number): unknown => {
    const r = replies[i];
    if (!r) throw new Error("telemetry batch read: missing reply");
    if (r[0]) throw r[0];
    return r[1];
  };
  const out = emptyDeltas();
  let malformed = 0;
  batch.buckets.forEach((b, i) => {
    const d = decodeBucket(b, {
      counters: reply(KINDS * i) as Record<string, string>,
      maxima: reply(KINDS * i + 1) as string[],
      hotKeys: reply(KINDS * i + 2) as Record<string, string>,
      clients: reply(KINDS * i + 3) as Record<string, string>,
      profiles: reply(KINDS * i + 4) as string[],
      minima: reply(KINDS * i + 5) as string[],
    });
    malformed += d.malformed;
    out.shardlets.push(...d.deltas.shardlets);
    out.hotKeys.push(...d.deltas.hotKeys);
    out.clients.push(...d.deltas.clients);
    if (d.deltas.profiles) (out.profiles ??= []).push(...d.deltas.profiles);
  });
  return { deltas: out, malformed };
}

/** Deletes a batch's claimed keys and its record (after its deltas are in PostgreSQL). */
export async function releaseBatch(redis: Redis, prefix: string, batch: Pick<ClaimedBatch, "id" | "buckets">): Promise<void> {
  const keys = telemetryRedisKeys(prefix);
  const tx = redis.multi();
  const claimed = batch.buckets.flatMap((b) => BUCKET_KEY_KINDS.map((k) => keys.claimed(batch.id, k, b)));
  if (claimed.length > 0) tx.del(...claimed);
  tx.hdel(keys.batches, batch.id);
  await tx.exec();
}

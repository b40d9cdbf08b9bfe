import { foldProfiles, mergeProfileData, type ProfileDelta, type ShardletProfile } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { epochMs, ts, tsAt } from "./time.ts";

/** Profiles are kept in five-minute buckets: sketches are kilobytes, so finer buckets would cost too much. */
export const PROFILE_BUCKET_SEC = 300;
/** How long profile buckets are kept (the console and the orchestrator read the last minutes to hours). */
export const PROFILE_RETENTION_MS = 24 * 3_600_000;

type Tx = Prisma.TransactionClient;

/**
 * Merges a batch's profiles into their buckets, inside the rollup's ledger transaction (so exactly
 * once). Sketches merge rather than add, so each row is created empty if missing, locked, merged
 * in JS and written back; rows are touched in key order, so concurrent rollups cannot deadlock.
 */
export async function upsertProfiles(tx: Tx, profiles: readonly ProfileDelta[]): Promise<number> {
  if (profiles.length === 0) return 0;
  const folded = foldProfiles(profiles, PROFILE_BUCKET_SEC).sort(
    (a, b) => (a.shardletId < b.shardletId ? -1 : a.shardletId > b.shardletId ? 1 : a.bucketStart - b.bucketStart),
  );
  const ids = folded.map((p) => p.shardletId);
  const starts = folded.map((p) => p.bucketStart);
  await tx.$executeRaw`
    INSERT INTO profile_buckets (shardlet_id, bucket_start, stream_id, profile)
    SELECT v.shardlet_id, ${ts(Prisma.sql`v.ms`)}, v.stream_id, '{}'::jsonb
    FROM unnest(${ids}::text[], ${starts}::float8[], ${folded.map((p) => p.streamId)}::text[]) AS v(shardlet_id, ms, stream_id)
    ON CONFLICT DO NOTHING`;
  const current = await tx.$queryRaw<Array<{ shardlet_id: string; ms: number; profile: unknown }>>`
    SELECT p.shardlet_id, ${epochMs(Prisma.sql`p.bucket_start`)} AS ms, p.profile
    FROM profile_buckets p
    JOIN unnest(${ids}::text[], ${starts}::float8[]) AS v(shardlet_id, ms)
      ON p.shardlet_id = v.shardlet_id AND p.bucket_start = ${ts(Prisma.sql`v.ms`)}
    ORDER BY p.shardlet_id, p.bucket_start
    FOR UPDATE OF p`;
  const existing = new Map(current.map((r) => [`${r.shardlet_id}\t${Math.round(r.ms)}`, r.profile]));
  const merged = folded.map((p) => mergeProfileData([existing.get(`${p.shardletId}\t${p.bucketStart}`) ?? {}, p.profile]));
  await tx.$executeRaw`
    UPDATE profile_buckets p SET profile = v.profile, sampled = v.sampled, updated_at = now()
    FROM unnest(${ids}::text[], ${starts}::float8[], ${merged.map((m) => JSON.stringify(m.toData()))}::jsonb[], ${merged.map((m) => m.sampled)}::bigint[])
      AS v(shardlet_id, ms, profile, sampled)
    WHERE p.shardlet_id = v.shardlet_id AND p.bucket_start = ${ts(Prisma.sql`v.ms`)}`;
  return folded.length;
}

/** Each shardlet's profile over [fromMs, toMs), merged across buckets (only shardlets with a profile). */
export async function readShardletProfiles(
  db: ControlDb,
  q: { streamId: string; fromMs: number; toMs: number; shardletIds?: readonly string[] },
): Promise<Map<string, ShardletProfile>> {
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; profile: unknown }>>`
    SELECT shardlet_id, profile FROM profile_buckets
    WHERE stream_id = ${q.streamId}
      AND bucket_start >= ${tsAt(q.fromMs - (q.fromMs % (PROFILE_BUCKET_SEC * 1000)))} AND bucket_start < ${tsAt(q.toMs)}
      ${q.shardletIds ? Prisma.sql`AND shardlet_id = ANY(${[...q.shardletIds]}::text[])` : Prisma.empty}
    ORDER BY shardlet_id, bucket_start`;
  const byShardlet = new Map<string, unknown[]>();
  for (const r of rows) {
    const list = byShardlet.get(r.shardlet_id) ?? [];
    list.push(r.profile);
    byShardlet.set(r.shardlet_id, list);
  }
  return new Map([...byShardlet].map(([id, list]) => [id, mergeProfileData(list)]));
}

/** Sampled events per profile bucket for a stream (the console's profiler activity line). */
export async function profileActivity(db: ControlDb, q: { streamId: string; fromMs: number; toMs: number }): Promise<Array<{ bucketStart: number; sampled: number }>> {
  const rows = await db.$queryRaw<Array<{ ms: number; sampled: bigint }>>`
    SELECT ${epochMs(Prisma.sql`bucket_start`)} AS ms, sum(sampled)::bigint AS sampled FROM profile_buckets
    WHERE stream_id = ${q.streamId} AND bucket_start >= ${tsAt(q.fromMs)} AND bucket_start < ${tsAt(q.toMs)}
    GROUP BY bucket_start ORDER BY bucket_start`;
  return rows.map((r) => ({ bucketStart: Math.round(r.ms), sampled: Number(r.sampled) }));
}

export async function applyProfileRetention(db: ControlDb, nowMs: number): Promise<number> {
  return db.$executeRaw`DELETE FROM profile_buckets WHERE bucket_start < ${tsAt(nowMs - PROFILE_RETENTION_MS)}`;
}

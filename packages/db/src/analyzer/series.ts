import { ShardcastError, TELEMETRY_RESOLUTIONS, type LoadHintWindow } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { tsAt as ts } from "../telemetry/time.ts";

/** The telemetry resolution (seconds) read for steps of `bucketSec`: the coarsest that divides it. */
export function resolutionForStep(bucketSec: number): number {
  let best: number | null = null;
  for (const r of TELEMETRY_RESOLUTIONS) if (r <= bucketSec && bucketSec % r === 0) best = r;
  if (best === null) throw new ShardcastError("bad_request", `step of ${bucketSec} s is not a multiple of a telemetry resolution`);
  return best;
}

/**
 * Writes per second per shardlet in steps of `bucketSec` over [fromMs, toMs) (both aligned to the
 * step), oldest first; a step without telemetry counts 0.
 */
export async function writeRateSeries(
  db: ControlDb,
  q: { streamIds?: readonly string[]; shardletIds?: readonly string[]; bucketSec: number; fromMs: number; toMs: number },
): Promise<Map<string, number[]>> {
  const stepMs = q.bucketSec * 1000;
  const steps = Math.max(0, Math.ceil((q.toMs - q.fromMs) / stepMs));
  const out = new Map<string, number[]>();
  if (steps === 0) return out;
  const resolution = resolutionForStep(q.bucketSec);
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  const shardletFilter = q.shardletIds ? Prisma.sql`AND shardlet_id = ANY(${[...q.shardletIds]}::text[])` : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; step: number; writes: number }>>`
    SELECT shardlet_id,
           floor((extract(epoch FROM bucket_start) * 1000 - ${q.fromMs}::float8) / ${stepMs}::float8)::int AS step,
           sum(writes)::float8 AS writes
    FROM telemetry_buckets
    WHERE resolution = ${resolution} AND bucket_start >= ${ts(q.fromMs)} AND bucket_start < ${ts(q.toMs)}
      ${streamFilter} ${shardletFilter}
    GROUP BY 1, 2`;
  for (const r of rows) {
    if (r.step < 0 || r.step >= steps) continue;
    let list = out.get(r.shardlet_id);
    if (!list) {
      list = new Array<number>(steps).fill(0);
      out.set(r.shardlet_id, list);
    }
    list[r.step] = r.writes / q.bucketSec;
  }
  return out;
}

/** The newest telemetry bucket (ms) at a resolution, or null when there is none. */
export async function latestTelemetryBucket(db: ControlDb, resolution: number, streamIds?: readonly string[]): Promise<number | null> {
  const row = await db.telemetryBucket.findFirst({
    where: { resolution, ...(streamIds ? { streamId: { in: [...streamIds] } } : {}) },
    orderBy: { bucketStart: "desc" },
    select: { bucketStart: true },
  });
  return row ? row.bucketStart.getTime() : null;
}

export interface HintWindow extends LoadHintWindow {
  streamId: string;
}

/** Client hints whose window overlaps [fromMs, toMs). */
export async function loadHintsBetween(db: ControlDb, q: { streamIds?: readonly string[]; fromMs: number; toMs: number }): Promise<HintWindow[]> {
  const rows = await db.loadHint.findMany({
    where: {
      ...(q.streamIds ? { streamId: { in: [...q.streamIds] } } : {}),
      endsAt: { gt: new Date(q.fromMs) },
      startsAt: { lt: new Date(q.toMs) },
    },
    select: { streamId: true, lo: true, hi: true, eventsPerSec: true, startsAt: true, endsAt: true },
  });
  return rows.map((r) => ({
    streamId: r.streamId,
    lo: num(r.lo),
    hi: num(r.hi),
    eventsPerSec: r.eventsPerSec,
    startsAt: r.startsAt.getTime(),
    endsAt: r.endsAt.getTime(),
  }));
}

import { ShardcastError, TELEMETRY_RESOLUTIONS, type LoadHintWindow } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { MAX_ACTIVE_HINTS_PER_STREAM } from "../hints.ts";
import { epochMs, tsAt as ts } from "../telemetry/time.ts";

/** The telemetry resolution (seconds) read for steps of `bucketSec`: the coarsest that divides it. */
export function resolutionForStep(bucketSec: number): number {
  let best: number | null = null;
  for (const r of TELEMETRY_RESOLUTIONS) if (r <= bucketSec && bucketSec % r === 0) best = r;
  if (best === null) throw new ShardcastError("bad_request", `step of ${bucketSec} s is not a multiple of a telemetry resolution`);
  return best;
}

/** What telemetry counts per shardlet: events written or events read. */
export type RateMetric = "writes" | "reads";

/**
 * Events written (or read) per second per shardlet in steps of `bucketSec` over [fromMs, toMs)
 * (both aligned to the step), oldest first; a step without telemetry counts 0.
 */
export async function rateSeries(
  db: ControlDb,
  q: { metric: RateMetric; streamIds?: readonly string[]; shardletIds?: readonly string[]; bucketSec: number; fromMs: number; toMs: number },
): Promise<Map<string, number[]>> {
  const stepMs = q.bucketSec * 1000;
  const steps = Math.max(0, Math.ceil((q.toMs - q.fromMs) / stepMs));
  const out = new Map<string, number[]>();
  if (steps === 0) return out;
  const resolution = resolutionForStep(q.bucketSec);
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  const shardletFilter = q.shardletIds ? Prisma.sql`AND shardlet_id = ANY(${[...q.shardletIds]}::text[])` : Prisma.empty;
  // The column is one of two fixed names, never the caller's text.
  const column = q.metric === "reads" ? Prisma.sql`reads` : Prisma.sql`writes`;
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; step: number; events: number }>>`
    SELECT shardlet_id,
           floor((extract(epoch FROM bucket_start) * 1000 - ${q.fromMs}::float8) / ${stepMs}::float8)::int AS step,
           sum(${column})::float8 AS events
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
    list[r.step] = r.events / q.bucketSec;
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

/**
 * Client hints whose window overlaps [fromMs, toMs), at most `perStream` of each stream (the
 * earliest starts first): whatever a stream's producers stored, a forecast reads a bounded number.
 */
export async function loadHintsBetween(
  db: ControlDb,
  q: { streamIds?: readonly string[]; fromMs: number; toMs: number; perStream?: number },
): Promise<HintWindow[]> {
  const perStream = Math.max(1, Math.min(q.perStream ?? MAX_ACTIVE_HINTS_PER_STREAM, MAX_ACTIVE_HINTS_PER_STREAM));
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  // The (stream_id, ends_at) index finds each stream's hints that have not ended by `fromMs`.
  const rows = await db.$queryRaw<Array<{ stream_id: string; lo: bigint; hi: bigint; events_per_sec: number; starts_ms: number; ends_ms: number }>>`
    SELECT stream_id, lo, hi, events_per_sec, starts_ms, ends_ms
    FROM (
      SELECT stream_id, lo, hi, events_per_sec, id, starts_at,
             ${epochMs(Prisma.sql`starts_at`)} AS starts_ms, ${epochMs(Prisma.sql`ends_at`)} AS ends_ms,
             row_number() OVER (PARTITION BY stream_id ORDER BY starts_at, id) AS n
      FROM load_hints
      WHERE ends_at > ${ts(q.fromMs)} AND starts_at < ${ts(q.toMs)} ${streamFilter}
    ) h
    WHERE n <= ${perStream}
    ORDER BY stream_id, starts_at, id`;
  return rows.map((r) => ({
    streamId: r.stream_id,
    lo: num(r.lo),
    hi: num(r.hi),
    eventsPerSec: r.events_per_sec,
    startsAt: r.starts_ms,
    endsAt: r.ends_ms,
  }));
}

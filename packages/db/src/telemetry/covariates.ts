import type { ClientReadRow } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { resolutionForStep } from "../analyzer/series.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { tsAt } from "./time.ts";

export interface StepClientReadRow extends ClientReadRow {
  streamId: string;
}

/**
 * Reads per client, group and shardlet in steps of `bucketSec` over [fromMs, toMs) (aligned to the
 * step), each row's `bucketStart` the start of its step: the input of the reader-activity
 * covariates of forecasts and of the training corpus. Steps without reads have no row.
 */
export async function clientReadsPerStep(
  db: ControlDb,
  q: { streamIds?: readonly string[]; bucketSec: number; fromMs: number; toMs: number },
): Promise<StepClientReadRow[]> {
  const stepMs = q.bucketSec * 1000;
  if (!(q.toMs > q.fromMs)) return [];
  const resolution = resolutionForStep(q.bucketSec);
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ stream_id: string; shardlet_id: string; client: string; client_group: string; step: number; reads: number }>>`
    SELECT stream_id, shardlet_id, client, client_group,
           floor((extract(epoch FROM bucket_start) * 1000 - ${q.fromMs}::float8) / ${stepMs}::float8)::int AS step,
           sum(reads)::float8 AS reads
    FROM client_buckets
    WHERE resolution = ${resolution} AND bucket_start >= ${tsAt(q.fromMs)} AND bucket_start < ${tsAt(q.toMs)} ${streamFilter}
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 5, 2, 4, 3`;
  return rows
    .filter((r) => r.reads > 0)
    .map((r) => ({ streamId: r.stream_id, shardletId: r.shardlet_id, client: r.client, clientGroup: r.client_group, bucketStart: q.fromMs + r.step * stepMs, reads: r.reads }));
}

import type { Redis } from "ioredis";
import { z } from "zod";

/**
 * Where the read path's correlation and cache data live in Redis (it is short-lived telemetry:
 * losing it costs prefetch accuracy for a few minutes, never data):
 * - `<prefix>:rc:y:<B>` hash per 10 s bucket B, written by edges with HINCRBY:
 *   `stream \t w \t <type>` events written of that type, `stream \t r \t <shardlet> \t <reader>`
 *   reads of that shardlet by that reader (consumer member or client label), `stream \t a \t
 *   <field> \t <value>` events written with that value of a configured payload field;
 * - `<prefix>:rc:map:<stream>` the worker's prefetch probability map for the stream (JSON);
 * - `<prefix>:rc:engine:<stream>` the correlation engine's state between worker runs (JSON), and
 *   `<prefix>:rc:attrs:<stream>` the attribute correlations' (payload fields);
 * - `<prefix>:rc:stats` hash edge id -> the edge's latest cache snapshot (JSON), and
 *   `<prefix>:rc:hist:<edge>` a capped list of its snapshots (newest first) for the console.
 */
export const CORRELATION_STEP_MS = 10_000;
/** How long the per-bucket counts and the snapshots live. */
export const READ_CACHE_TTL_SEC = 3_600;
/** Snapshots kept per edge (an hour at the 5 s flush). */
export const CACHE_HISTORY_LENGTH = 720;

export const readCacheKeys = {
  bucket: (prefix: string, bucketStart: number) => `${prefix}:rc:y:${bucketStart}`,
  map: (prefix: string, streamId: string) => `${prefix}:rc:map:${streamId}`,
  engine: (prefix: string, streamId: string) => `${prefix}:rc:engine:${streamId}`,
  attributes: (prefix: string, streamId: string) => `${prefix}:rc:attrs:${streamId}`,
  stats: (prefix: string) => `${prefix}:rc:stats`,
  history: (prefix: string, edgeId: string) => `${prefix}:rc:hist:${edgeId}`,
};

const targetSchema = z.object({ p: z.number(), lagSteps: z.number(), lift: z.number(), target: z.string().nullable() });

/** The prefetch map as the worker publishes it and the edges read it. */
export const prefetchMapSchema = z.object({
  streamId: z.string(),
  at: z.number(),
  stepMs: z.number().positive(),
  threshold: z.number().min(0).max(1),
  /** {eventType: {shardletId: {p, lagSteps, lift, target}}} */
  map: z.record(z.string(), z.record(z.string(), targetSchema)),
  /** Payload fields the edges count values of (the read cache settings' `correlateFields`). */
  fields: z.array(z.string()).default([]),
  /** {field: {value: {shardletId: {p, lagSteps, lift, target}}}} */
  attrs: z.record(z.string(), z.record(z.string(), z.record(z.string(), targetSchema))).default({}),
});
export type PublishedPrefetchMap = z.infer<typeof prefetchMapSchema>;
export type PublishedPrefetchMapInput = z.input<typeof prefetchMapSchema>;

export async function readPrefetchMap(redis: Redis, prefix: string, streamId: string): Promise<PublishedPrefetchMap | null> {
  const raw = await redis.get(readCacheKeys.map(prefix, streamId));
  if (!raw) return null;
  const parsed = prefetchMapSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : null;
}

export async function writePrefetchMap(redis: Redis, prefix: string, m: PublishedPrefetchMapInput): Promise<void> {
  await redis.set(readCacheKeys.map(prefix, m.streamId), JSON.stringify(m), "EX", READ_CACHE_TTL_SEC);
}

/** One step's counts of a stream, decoded from a bucket hash. */
export interface CorrelationCounts {
  types: Map<string, number>;
  /** shardlet id -> reads, and the reader that read it most. */
  reads: Map<string, { count: number; target?: string | undefined }>;
  /** `shardlet \t reader` -> reads by that reader. */
  readsByReader: Map<string, number>;
  /** field -> value -> events written with it. */
  values: Map<string, Map<string, number>>;
}

/** Field names of the bucket hash (tab-separated: ids never hold a tab, labels are sanitized). */
export const correlationField = {
  written: (streamId: string, type: string) => `${streamId}\tw\t${type}`,
  read: (streamId: string, shardletId: string, reader: string) => `${streamId}\tr\t${shardletId}\t${reader}`,
  value: (streamId: string, field: string, value: string) => `${streamId}\ta\t${field}\t${value}`,
};

/** Decodes a bucket hash into per-stream counts; malformed fields are skipped. */
export function decodeCorrelationBucket(fields: Record<string, string>): Map<string, CorrelationCounts> {
  const out = new Map<string, CorrelationCounts>();
  const readers = new Map<string, Map<string, number>>();
  for (const [field, value] of Object.entries(fields)) {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) continue;
    const parts = field.split("\t");
    const [streamId, kind] = parts;
    if (!streamId || !kind) continue;
    let s = out.get(streamId);
    if (!s) out.set(streamId, (s = { types: new Map<string, number>(), reads: new Map<string, { count: number; target?: string | undefined }>(), readsByReader: new Map<string, number>(), values: new Map<string, Map<string, number>>() }));
    if (kind === "w" && parts.length === 3) s.types.set(parts[2]!, (s.types.get(parts[2]!) ?? 0) + n);
    else if (kind === "a" && parts.length === 4) {
      let byValue = s.values.get(parts[2]!);
      if (!byValue) s.values.set(parts[2]!, (byValue = new Map<string, number>()));
      byValue.set(parts[3]!, (byValue.get(parts[3]!) ?? 0) + n);
    }
    else if (kind === "r" && parts.length === 4) {
      const shardletId = parts[2]!;
      const cur = s.reads.get(shardletId) ?? { count: 0 };
      cur.count += n;
      s.reads.set(shardletId, cur);
      const rk = `${streamId}\t${shardletId}`;
      let byReader = readers.get(rk);
      if (!byReader) readers.set(rk, (byReader = new Map<string, number>()));
      byReader.set(parts[3]!, (byReader.get(parts[3]!) ?? 0) + n);
      const pair = `${shardletId}\t${parts[3]!}`;
      s.readsByReader.set(pair, (s.readsByReader.get(pair) ?? 0) + n);
    }
  }
  for (const [rk, byReader] of readers) {
    const [streamId, shardletId] = rk.split("\t") as [string, string];
    let top: string | undefined;
    let most = 0;
    for (const [r, n] of byReader) if (n > most || (n === most && top !== undefined && r < top)) [top, most] = [r, n];
    const e = out.get(streamId)?.reads.get(shardletId);
    if (e) e.target = top;
  }
  return out;
}

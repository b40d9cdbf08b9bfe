import { z } from "zod";
import { CorrelationEngine } from "@shardcast/core";
import { CORRELATION_STEP_MS, readCacheKeys, readPrefetchMap } from "@shardcast/runtime";
import type { ControlDb } from "@shardcast/db";
import type { RedisClient } from "../context.ts";
import type { PrefetchView } from "../routers/cache/schemas.ts";
import { cacheSettings } from "./cache-settings.ts";
import { shardletRanges } from "./shardlet-ranges.ts";
import { streamFor } from "./consumer-views.ts";

export const NO_CORRELATION_NOTE = "no correlation learned yet";
const UNREADABLE_NOTE = "the correlation state could not be read (another version wrote it?); the worker starts learning afresh on its next run";
const TOP_RATES = 15;
const TOP_CORRELATIONS = 20;

const storedEngineSchema = z.object({ lastStep: z.number(), data: z.unknown() });

type Engine = { rates: PrefetchView["rates"]; correlations: Array<Omit<PrefetchView["correlations"][number], "lagSeconds">> };

/** The engine state the worker keeps between runs, or why there is none to show. */
async function readEngine(redis: RedisClient, prefix: string, streamId: string): Promise<Engine | { note: string }> {
  const raw = await redis.get(readCacheKeys.engine(prefix, streamId));
  if (!raw) return { note: NO_CORRELATION_NOTE };
  try {
    const stored = storedEngineSchema.parse(JSON.parse(raw));
    const engine = CorrelationEngine.fromData(stored.data);
    // The engine counts per step; the console speaks in events per second.
    const perSec = 1000 / CORRELATION_STEP_MS;
    return {
      rates: engine.rates().map((r) => ({ type: r.type, short: r.short * perSec, long: r.long * perSec })),
      correlations: engine.typeCorrelations({ top: TOP_CORRELATIONS }),
    };
  } catch {
    return { note: UNREADABLE_NOTE };
  }
}

/**
 * One stream's published prefetch map, flattened to rows for its busiest event types, with the
 * engine's smoothed type rates and strongest lagged type correlations. The map is what the edges
 * act on; the engine is what the next map will be made from.
 */
export async function prefetchView(db: ControlDb, redis: RedisClient, prefix: string, q: { stream: string; types: number; nowMs: number }): Promise<PrefetchView> {
  const stream = await streamFor(db, q.stream);
  const [map, engine, { settings }] = await Promise.all([readPrefetchMap(redis, prefix, stream.id), readEngine(redis, prefix, stream.id), cacheSettings.get(db)]);
  const learned = "rates" in engine ? engine : null;
  const rateOf = new Map((learned?.rates ?? []).map((r) => [r.type, r.short]));
  const stepMs = map?.stepMs ?? CORRELATION_STEP_MS;

  // Busiest types first (by the engine's recent rate), so the rows shown are the ones most acted on.
  const types = Object.keys(map?.map ?? {}).sort((a, b) => (rateOf.get(b) ?? 0) - (rateOf.get(a) ?? 0) || a.localeCompare(b));
  const flat = map
    ? types.slice(0, q.types).flatMap((eventType) =>
        Object.entries(map.map[eventType] ?? {})
          .sort(([ia, a], [ib, b]) => b.p - a.p || ia.localeCompare(ib))
          .map(([shardletId, x]) => ({
            eventType,
            shardletId,
            p: x.p,
            lagSteps: x.lagSteps,
            lagSeconds: (x.lagSteps * stepMs) / 1000,
            lift: x.lift,
            target: x.target,
            aboveThreshold: x.p >= map.threshold,
          })),
      )
    : [];
  const ranges = await shardletRanges(db, flat.map((r) => r.shardletId));
  const rows = flat.map((r) => ({ ...r, range: ranges.get(r.shardletId) ?? null }));

  return {
    at: new Date(q.nowMs),
    stream,
    prefetchEnabled: settings.prefetchEnabled,
    map: map
      ? {
          at: new Date(map.at),
          ageSec: Math.max(0, (q.nowMs - map.at) / 1000),
          threshold: map.threshold,
          stepMs: map.stepMs,
          types: types.length,
          entries: Object.values(map.map).reduce((n, t) => n + Object.keys(t).length, 0),
        }
      : null,
    rows,
    rates: [...(learned?.rates ?? [])].sort((a, b) => b.short - a.short || b.long - a.long).slice(0, TOP_RATES),
    correlations: (learned?.correlations ?? []).map((c) => ({ ...c, lagSeconds: (c.lagSteps * CORRELATION_STEP_MS) / 1000 })),
    note: learned ? null : "note" in engine ? engine.note : NO_CORRELATION_NOTE,
  };
}

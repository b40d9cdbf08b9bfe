import { AttributeCorrelations, bucketStart, CorrelationEngine, type AttributeMap, parseReadCacheSettings, READ_CACHE_SETTINGS_KEY, type CorrelationStep, type PrefetchTarget, type ProbabilityMap, type ReadCacheSettings } from "@shardcast/core";
import { getSettings, listStreams, type ControlDb } from "@shardcast/db";
import { CORRELATION_STEP_MS, decodeCorrelationBucket, readCacheKeys, writePrefetchMap, type CorrelationCounts } from "@shardcast/runtime";
import type { Logger } from "@shardcast/runtime/logger";
import type { Redis } from "ioredis";
import { checkAborted } from "../domain/abort.ts";

export interface CorrelateDeps {
  db: ControlDb;
  log: Logger;
  clock: () => number;
}

export interface CorrelateResult {
  streams: number;
  /** Steps (10 s buckets) folded into the engines this run. */
  steps: number;
  /** Prefetch map entries published, over all streams. */
  entries: number;
  skipped?: string;
}

/** Edges flush their counts every 5 s: a bucket is complete this long after it ends. */
const CLOSE_SLACK_MS = 7_000;
/** Catching up (or starting) folds at most this many steps: an hour, as long as the buckets live. */
const MAX_CATCH_UP_STEPS = 360;
/** Entries below this probability are not published at all (the threshold applies at the edges). */
const PUBLISH_FLOOR = 0.05;

/**
 * The engine learns reads per shardlet and reader, not per shardlet: a consumer group tailing every
 * shardlet reads each of them all the time, which would hide the reader whose reads do follow an
 * event type (a report, a fraud check) behind a base rate of one.
 */
function perReader(c: CorrelationCounts): CorrelationStep {
  const reads = new Map<string, { count: number; target: string }>();
  for (const [pair, count] of c.readsByReader) reads.set(pair, { count, target: pair.slice(pair.indexOf("\t") + 1) });
  return { types: c.types, reads };
}

/** The engine's `shardlet \t reader` entries as the edges want them: per shardlet, its likeliest reader. */
function byShardlet(map: ProbabilityMap): ProbabilityMap {
  return Object.fromEntries(Object.entries(map).map(([type, row]) => [type, mergeRow(row)]));
}

function mergeRow(row: Record<string, PrefetchTarget>): Record<string, PrefetchTarget> {
  const merged: Record<string, PrefetchTarget> = {};
  for (const [pair, t] of Object.entries(row)) {
    const cut = pair.indexOf("\t");
    const shardletId = cut < 0 ? pair : pair.slice(0, cut);
    const cur = merged[shardletId];
    if (!cur || t.p > cur.p) merged[shardletId] = { ...t, target: cut < 0 ? t.target : pair.slice(cut + 1) };
  }
  return merged;
}

function attrsByShardlet(attrs: AttributeMap): AttributeMap {
  return Object.fromEntries(Object.entries(attrs).map(([field, rows]) => [field, byShardlet(rows)]));
}

interface StoredEngine {
  lastStep: number;
  data: unknown;
}

async function readSettings(deps: CorrelateDeps): Promise<ReadCacheSettings> {
  try {
    return parseReadCacheSettings((await getSettings(deps.db))[READ_CACHE_SETTINGS_KEY]);
  } catch (err) {
    deps.log.warn("read cache settings unreadable; using the defaults", { err });
    return parseReadCacheSettings(undefined);
  }
}

async function loadAttributes(redis: Redis, prefix: string, streamId: string, fields: readonly string[], log: Logger): Promise<AttributeCorrelations> {
  const raw = fields.length > 0 ? await redis.get(readCacheKeys.attributes(prefix, streamId)) : null;
  if (raw) {
    try {
      const a = AttributeCorrelations.fromData(JSON.parse(raw));
      a.configure(fields);
      return a;
    } catch (err) {
      log.warn("attribute correlation state unreadable; starting afresh", { streamId, err });
    }
  }
  return new AttributeCorrelations(fields);
}

async function loadEngine(redis: Redis, prefix: string, streamId: string, log: Logger): Promise<{ engine: CorrelationEngine; lastStep: number | null }> {
  const raw = await redis.get(readCacheKeys.engine(prefix, streamId));
  if (raw) {
    try {
      const stored = JSON.parse(raw) as StoredEngine;
      return { engine: CorrelationEngine.fromData(stored.data), lastStep: stored.lastStep };
    } catch (err) {
      // A state from another version or a torn write: start learning again rather than fail every run.
      log.warn("correlation state unreadable; starting afresh", { streamId, err });
    }
  }
  return { engine: new CorrelationEngine(), lastStep: null };
}

/**
 * One run of the event correlation engine (seed 002): folds the closed 10 s steps of every
 * stream's event-type counts and shardlet reads into its engine, and publishes the prefetch
 * probability map `{eventType: {shardletId: {p, lagSteps, lift, target}}}` the edges act on. The
 * engine's state stays in Redis between runs, so any worker can take the next one.
 */
export async function runCorrelation(deps: CorrelateDeps, ctx: { redis: Redis; prefix: string; signal?: AbortSignal }): Promise<CorrelateResult> {
  const settings = await readSettings(deps);
  const streams = await listStreams(deps.db);
  const lastClosed = bucketStart(deps.clock() - CORRELATION_STEP_MS - CLOSE_SLACK_MS, CORRELATION_STEP_MS / 1000);
  const engines = new Map<string, { engine: CorrelationEngine; attrs: AttributeCorrelations; from: number }>();
  let first = lastClosed + CORRELATION_STEP_MS;
  for (const s of streams) {
    const { engine, lastStep } = await loadEngine(ctx.redis, ctx.prefix, s.id, deps.log);
    // A new engine learns from every bucket still in Redis (they live an hour).
    const oldest = lastClosed - (MAX_CATCH_UP_STEPS - 1) * CORRELATION_STEP_MS;
    const from = lastStep === null ? oldest : Math.max(lastStep + CORRELATION_STEP_MS, oldest);
    // Learnt from the same steps as the type engine: a field added later starts from the next step.
    const attrs = await loadAttributes(ctx.redis, ctx.prefix, s.id, settings.correlateFields, deps.log);
    engines.set(s.id, { engine, attrs, from });
    first = Math.min(first, from);
  }
  let steps = 0;
  const empty: CorrelationCounts = { types: new Map(), reads: new Map(), readsByReader: new Map(), values: new Map() };
  for (let b = first; b <= lastClosed; b += CORRELATION_STEP_MS) {
    checkAborted(ctx.signal, "correlation run");
    const counts = decodeCorrelationBucket(await ctx.redis.hgetall(readCacheKeys.bucket(ctx.prefix, b)));
    for (const [streamId, e] of engines) {
      if (b < e.from) continue;
      // A step with nothing in it is evidence too: quiet steps keep a type's rate and the base read rate honest.
      const c = counts.get(streamId) ?? empty;
      const step = perReader(c);
      e.engine.step(step);
      if (e.attrs.fields.length > 0) e.attrs.step({ values: c.values, reads: step.reads });
    }
    steps++;
  }
  let entries = 0;
  for (const [streamId, e] of engines) {
    checkAborted(ctx.signal, "correlation run");
    const state: StoredEngine = { lastStep: Math.max(lastClosed, e.from - CORRELATION_STEP_MS), data: e.engine.toData() };
    await ctx.redis.set(readCacheKeys.engine(ctx.prefix, streamId), JSON.stringify(state), "EX", 7 * 86_400);
    if (e.attrs.fields.length > 0) await ctx.redis.set(readCacheKeys.attributes(ctx.prefix, streamId), JSON.stringify(e.attrs.toData()), "EX", 7 * 86_400);
    else await ctx.redis.del(readCacheKeys.attributes(ctx.prefix, streamId));
    if (!settings.prefetchEnabled) {
      await ctx.redis.del(readCacheKeys.map(ctx.prefix, streamId));
      continue;
    }
    const predict = { minP: Math.min(PUBLISH_FLOOR, settings.prefetchThreshold), minLift: settings.minLift, topPerType: settings.topPerType };
    const map = byShardlet(e.engine.probabilityMap(predict));
    const attrs = attrsByShardlet(e.attrs.attributeMap(predict));
    for (const t of Object.values(map)) entries += Object.keys(t).length;
    for (const rows of Object.values(attrs)) for (const t of Object.values(rows)) entries += Object.keys(t).length;
    await writePrefetchMap(ctx.redis, ctx.prefix, { streamId, at: deps.clock(), stepMs: CORRELATION_STEP_MS, threshold: settings.prefetchThreshold, map, fields: e.attrs.fields, attrs });
  }
  return { streams: streams.length, steps, entries, ...(settings.prefetchEnabled ? {} : { skipped: "prefetch is turned off" }) };
}

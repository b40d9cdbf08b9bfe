import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { mergePublishedPredictions, preallocRedisKeys, type ContentModelState, type PublishedPredictions } from "@shardcast/core";
import type { Redis } from "ioredis";

/**
 * Where the content model of pre-allocation lives in Redis: the predictions every edge publishes
 * and the model state per stream that edges resume from and the training job installs.
 */

/**
 * A name no other edge process has, now or later: containers all run their edge as PID 1 and a
 * restarted pod may keep its hostname, so neither alone tells edges apart; the random part does.
 */
export function preallocEdgeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** How long a stored model is kept without an edge saving it or a training run installing one. */
export const PREALLOC_MODEL_TTL_SEC = 7 * 86_400;

/** An edge's predictions stand for this long when the body does not say (edges publish every few seconds). */
const DEFAULT_PREDICTIONS_TTL_MS = 10_000;

/** Stores each stream's predictions of this edge in its own field, beside the other edges' fields. */
export async function publishEdgePredictions(redis: Redis, prefix: string, edgeId: string, bodies: readonly PublishedPredictions[]): Promise<void> {
  if (bodies.length === 0) return;
  const keys = preallocRedisKeys(prefix);
  const multi = redis.multi();
  for (const b of bodies) {
    const key = keys.predictions(b.streamId);
    multi.hset(key, edgeId, JSON.stringify(b));
    // The hash goes when no edge publishes any more; one edge's stale field is dropped by the reader.
    multi.pexpire(key, b.ttlMs ?? DEFAULT_PREDICTIONS_TTL_MS);
  }
  await multi.exec();
}

/** Every edge's current predictions for a stream; fields of edges that stopped publishing are dropped. */
export async function readEdgePredictions(redis: Redis, prefix: string, streamId: string, nowMs: number): Promise<PublishedPredictions[]> {
  const key = preallocRedisKeys(prefix).predictions(streamId);
  const fields = await redis.hgetall(key);
  const live: PublishedPredictions[] = [];
  const stale: string[] = [];
  for (const [edge, raw] of Object.entries(fields)) {
    try {
      const body = JSON.parse(raw) as PublishedPredictions;
      if (body.atMs + (body.ttlMs ?? DEFAULT_PREDICTIONS_TTL_MS) < nowMs) stale.push(edge);
      else live.push(body);
    } catch {
      stale.push(edge);
    }
  }
  if (stale.length > 0) await redis.hdel(key, ...stale);
  return live;
}

/** The pre-allocator's view of a stream: every edge's predictions merged, per-step figures in `stepMs`. */
export async function readMergedPredictions(redis: Redis, prefix: string, streamId: string, stepMs: number, nowMs: number): Promise<PublishedPredictions | null> {
  return mergePublishedPredictions(await readEdgePredictions(redis, prefix, streamId, nowMs), stepMs);
}

/** A stored model's version (examples learnt) and the install it descends from (0: the untrained prior). */
export interface StoredModelHead {
  version: number;
  installedAtMs: number;
}

// KEYS[1]: the model hash. ARGV: version, installedAtMs, state, ttlSec. An edge saves unless the
// stored state descends from a later install (it adopts that one instead of overwriting it) or, of
// the same install, has learnt more (another edge's; the most evidence is what a restart resumes).
const SAVE = `
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
local inst = tonumber(redis.call('HGET', KEYS[1], 'installed') or '0')
local myv = tonumber(ARGV[1])
local myinst = tonumber(ARGV[2])
if myinst < inst or (myinst == inst and myv < v) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'installed', ARGV[2], 'state', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

// KEYS[1]: the model hash. ARGV: version, installedAtMs, state, ttlSec. Installs over nothing, over
// an untrained prior (version 0) and over a state that learnt less; a state that learnt more (an
// edge's model that kept learning online) is kept.
const INSTALL = `
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if v > 0 and v >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'installed', ARGV[2], 'state', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** An edge's save of its model; false when the stored state is kept (see SAVE). */
export async function saveEdgeModel(redis: Redis, prefix: string, streamId: string, state: ContentModelState, installedAtMs: number): Promise<boolean> {
  const key = preallocRedisKeys(prefix).model(streamId);
  return (await redis.eval(SAVE, 1, key, state.examples, installedAtMs, JSON.stringify(state), PREALLOC_MODEL_TTL_SEC)) === 1;
}

/** The training job's install of a trained model; false when the stored state learnt at least as much. */
export async function installContentModel(redis: Redis, prefix: string, streamId: string, state: ContentModelState, atMs: number): Promise<boolean> {
  const key = preallocRedisKeys(prefix).model(streamId);
  return (await redis.eval(INSTALL, 1, key, state.examples, atMs, JSON.stringify(state), PREALLOC_MODEL_TTL_SEC)) === 1;
}

/** The stored model's version and lineage, without its state (edges check it every publish). */
export async function storedModelHead(redis: Redis, prefix: string, streamId: string): Promise<StoredModelHead | null> {
  const [version, installed] = await redis.hmget(preallocRedisKeys(prefix).model(streamId), "version", "installed");
  if (version == null) return null;
  return { version: Number(version), installedAtMs: Number(installed ?? 0) };
}

export async function loadStoredModel(redis: Redis, prefix: string, streamId: string): Promise<{ state: ContentModelState; installedAtMs: number } | null> {
  const [state, installed] = await redis.hmget(preallocRedisKeys(prefix).model(streamId), "state", "installed");
  if (state == null) return null;
  return { state: JSON.parse(state) as ContentModelState, installedAtMs: Number(installed ?? 0) };
}

import { OUTAGE_RETRY_AFTER_MS, ShardcastError, type RoutePatch } from "@shardcast/core";
import { Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "./redis-env.ts";

export * from "./redis-env.ts";

function sentinelOptions(target: RedisTarget): RedisOptions {
  const s = target.sentinel;
  if (!s) return {};
  const tls = target.url.toLowerCase().startsWith("rediss://");
  return {
    sentinels: s.sentinels,
    name: s.name,
    ...(s.password !== undefined ? { sentinelPassword: s.password } : {}),
    ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    // A demoted master answers writes with READONLY until it drops its clients; reconnecting asks
    // the Sentinels for the new master at once. The command itself fails (503, retried by clients)
    // rather than being resent, so nothing can be applied twice.
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
  };
}

/**
 * Every Redis client of the apps is made here, so that Sentinel and TLS need configuring once.
 * BullMQ needs `maxRetriesPerRequest: null` on its connections; command clients keep a bounded
 * retry so a Redis outage surfaces as an error instead of hanging.
 */
export function createRedis(target: string | RedisTarget, opts: { forBullmq?: boolean; name?: string; subscriber?: boolean } = {}): Redis {
  const t = typeof target === "string" ? { url: target } : target;
  const options: RedisOptions = {
    lazyConnect: false,
    enableReadyCheck: true,
    connectionName: opts.name,
    maxRetriesPerRequest: opts.forBullmq ? null : 3,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    // A subscriber's channels are restored by `keepSubscribed`, not by ioredis (see there).
    ...(opts.subscriber ? { autoResubscribe: false } : {}),
    ...sentinelOptions(t),
  };
  return new Redis(t.url, options);
}

/**
 * Subscribes to `channels` now and again after every reconnect; a subscribe that fails (the
 * connection dropped again before the reply, or the server refused it, e.g. NOPERM under an ACL)
 * goes to `onError` and the next reconnect tries again. For a connection made with
 * `autoResubscribe: false` (`createRedis(…, { subscriber: true })`): ioredis 5's own resubscribe
 * after a reconnect leaves its promise unhandled, and on Node an unhandled rejection ends the
 * process, so an edge or worker would die of a Redis that flapped twice (fixed upstream after the
 * last 5.x release). Resolves when the first subscribe has been answered.
 */
export function keepSubscribed(subscriber: Redis, channels: readonly string[], onError: (err: unknown) => void): Promise<void> {
  if (subscriber.options.autoResubscribe) throw new Error("keepSubscribed needs a connection made with autoResubscribe: false");
  let reconnecting = false;
  subscriber.on("reconnecting", () => (reconnecting = true));
  subscriber.on("ready", () => {
    if (!reconnecting) return;
    reconnecting = false;
    subscriber.subscribe(...channels).catch(onError);
  });
  return subscriber.subscribe(...channels).then(() => undefined);
}

/**
 * Channel on which routing changes are announced: message JSON `{ "streamId": string, "patch"?:
 * RoutePatch }` (see routing-message.ts).
 */
export function routingChannel(prefix: string): string {
  return `${prefix}:routing`;
}

/** Channel on which read replicas' progress is announced: JSON `{ "streamId", "replicaId", "verifiedSeq" }`. */
export function replicaChannel(prefix: string): string {
  return `${prefix}:replicas`;
}

export async function publishReplicaProgress(redis: Redis, prefix: string, streamId: string, replicaId: string, verifiedSeq: number): Promise<void> {
  await redis.publish(replicaChannel(prefix), JSON.stringify({ streamId, replicaId, verifiedSeq }));
}

/** Channel on which API-key revocations are announced: message JSON `{ "prefix": string }`. */
export function apiKeyChannel(prefix: string): string {
  return `${prefix}:apikeys`;
}

/**
 * Tells the edges that a stream's routes changed. With a patch (the change's routes as the control
 * database stores them) an edge installs them without reading the stream's routes again.
 */
export async function publishRoutingChange(redis: Redis, prefix: string, streamId: string, patch?: RoutePatch): Promise<void> {
  await redis.publish(routingChannel(prefix), JSON.stringify(patch ? { streamId, patch } : { streamId }));
}

/** Channel on which edges hint that a shardlet crossed its split threshold: JSON `{ "shardletId": string }`. */
export function lifecycleChannel(prefix: string): string {
  return `${prefix}:lifecycle`;
}

/** Socket errors of a lost or refused connection, as ioredis passes them on. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** Replies of a Redis that is up but cannot serve yet (loading its data, failing over). */
const NOT_READY_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/**
 * The error to answer with when `err` says Redis cannot be reached: a `ShardcastError`
 * "unavailable" (503, so clients retry) wrapping it, else null. ioredis gives up on a command
 * with `MaxRetriesPerRequestError` while it reconnects, and with plain errors on a closed client.
 */
export function redisUnavailable(err: unknown): ShardcastError | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  const lost =
    err.name === "MaxRetriesPerRequestError" ||
    err.message === "Connection is closed." ||
    err.message.startsWith("Stream isn't writeable") ||
    (typeof code === "string" && CONNECTION_CODES.has(code)) ||
    (err.name === "ReplyError" && NOT_READY_REPLY.test(err.message));
  return lost ? new ShardcastError("unavailable", "Redis is unavailable; retry shortly", { retryAfterMs: OUTAGE_RETRY_AFTER_MS }, { cause: err }) : null;
}

import { Redis, type RedisOptions } from "ioredis";

/**
 * A Redis client for commands. BullMQ needs `maxRetriesPerRequest: null` on its connections;
 * command clients keep a bounded retry so a Redis outage surfaces as an error instead of hanging.
 */
export function createRedis(url: string, opts: { forBullmq?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    lazyConnect: false,
    enableReadyCheck: true,
    connectionName: opts.name,
    maxRetriesPerRequest: opts.forBullmq ? null : 3,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  };
  return new Redis(url, options);
}

/** Channel on which routing changes are announced: message JSON `{ "streamId": string }`. */
export function routingChannel(prefix: string): string {
  return `${prefix}:routing`;
}

/** Channel on which API-key revocations are announced: message JSON `{ "prefix": string }`. */
export function apiKeyChannel(prefix: string): string {
  return `${prefix}:apikeys`;
}

export async function publishRoutingChange(redis: Redis, prefix: string, streamId: string): Promise<void> {
  await redis.publish(routingChannel(prefix), JSON.stringify({ streamId }));
}

/** Channel on which edges hint that a shardlet crossed its split threshold: JSON `{ "shardletId": string }`. */
export function lifecycleChannel(prefix: string): string {
  return `${prefix}:lifecycle`;
}

import { ShardcastError } from "@shardcast/core";
import { z } from "zod";

// Apart from redis.ts so that environment modules can validate the Redis settings without loading
// a Redis client (the console's environment module is also bundled where ioredis cannot run).

export interface RedisSentinelConfig {
  sentinels: Array<{ host: string; port: number }>;
  /** The master's name as the Sentinels know it (`sentinel monitor <name> ...`). */
  name: string;
  password?: string | undefined;
}

/**
 * Where Redis is. Without `sentinel`, `url` is the server (`redis://`, or `rediss://` for TLS).
 * With it the Sentinels name the master, and `url` only contributes its credentials, database
 * number and scheme (`rediss://`: TLS to the master, its replicas and the Sentinels).
 */
export interface RedisTarget {
  url: string;
  sentinel?: RedisSentinelConfig | undefined;
}

const DEFAULT_SENTINEL_PORT = 26379;

/** `host:port,host:port` (IPv6 as `[addr]:port`; the port defaults to 26379). */
export function parseSentinelList(list: string): Array<{ host: string; port: number }> {
  const entries = list
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) throw new ShardcastError("bad_request", "the Sentinel list is empty");
  return entries.map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry);
    const host = m?.[1] ?? m?.[2];
    const port = m?.[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
    if (!host || port < 1 || port > 65535) throw new ShardcastError("bad_request", `bad Sentinel address "${entry}" (expected host:port)`);
    return { host, port };
  });
}

const optionalSetting = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/**
 * The Sentinel variables, for each app's environment schema (next to its REDIS_URL); pair it with
 * {@link checkRedisSentinelEnv}. Errors name the variable, never a password.
 */
/**
 * `SHARDCAST_SEQUENCE_LEASE_MS`, read by every process that allocates or reads sequence numbers:
 * the worker reads the watermark too (migration verification, replica sync), and after a Redis
 * loss the first reader sets the hold for one lease, so it must hold as long as the edges' leases.
 */
export const sequenceLeaseEnvShape = {
  SHARDCAST_SEQUENCE_LEASE_MS: z.coerce.number().int().min(1_000).max(300_000).default(5_000),
};

export const redisSentinelEnvShape = {
  /** Comma-separated Sentinels; when set, they name the master instead of REDIS_URL's host. */
  REDIS_SENTINELS: optionalSetting,
  REDIS_SENTINEL_NAME: optionalSetting,
  REDIS_SENTINEL_PASSWORD: optionalSetting,
};

export interface RedisEnv {
  REDIS_URL: string;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** A zod `superRefine` check: the Sentinel list parses and comes with the master's name. */
export function checkRedisSentinelEnv(env: Omit<RedisEnv, "REDIS_URL">, ctx: z.RefinementCtx): void {
  if (env.REDIS_SENTINELS === undefined) {
    for (const key of ["REDIS_SENTINEL_NAME", "REDIS_SENTINEL_PASSWORD"] as const) {
      if (env[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `${key} needs REDIS_SENTINELS` });
    }
    return;
  }
  try {
    parseSentinelList(env.REDIS_SENTINELS);
  } catch (err) {
    ctx.addIssue({ code: "custom", path: ["REDIS_SENTINELS"], message: err instanceof Error ? err.message : String(err) });
  }
  if (env.REDIS_SENTINEL_NAME === undefined) {
    ctx.addIssue({ code: "custom", path: ["REDIS_SENTINEL_NAME"], message: "REDIS_SENTINEL_NAME (the master's name) is required with REDIS_SENTINELS" });
  }
}

/** The Redis of a validated environment. */
export function redisTargetFromEnv(env: RedisEnv): RedisTarget {
  if (env.REDIS_SENTINELS === undefined || env.REDIS_SENTINEL_NAME === undefined) return { url: env.REDIS_URL };
  return {
    url: env.REDIS_URL,
    sentinel: { sentinels: parseSentinelList(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME, password: env.REDIS_SENTINEL_PASSWORD },
  };
}

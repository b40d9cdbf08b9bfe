/**
 * The servers integration tests talk to: what the global setup (global-setup.ts) chose for this run,
 * else the local defaults (a file run on its own, outside vitest's setup). Tests read them here,
 * not from the environment themselves.
 */

export const LOCAL_REDIS = "redis://127.0.0.1:6379";
export const LOCAL_PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";

export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? LOCAL_REDIS;
}

/** An admin connection, to create and drop scratch databases. */
export function testPgAdminUrl(): string {
  return process.env.PG_ADMIN_URL ?? LOCAL_PG_ADMIN;
}

/** The servers named by the environment, if any: the global setup starts or finds the others. */
export function configuredTestServers(): { pgAdminUrl?: string; redisUrl?: string } {
  return { pgAdminUrl: process.env.PG_ADMIN_URL || undefined, redisUrl: process.env.REDIS_URL || undefined };
}

/** Hands the servers the global setup chose to the test files (vitest's workers inherit the environment). */
export function useTestServers(servers: { pgAdminUrl?: string; redisUrl?: string }): void {
  if (servers.pgAdminUrl !== undefined) process.env.PG_ADMIN_URL = servers.pgAdminUrl;
  if (servers.redisUrl !== undefined) process.env.REDIS_URL = servers.redisUrl;
}

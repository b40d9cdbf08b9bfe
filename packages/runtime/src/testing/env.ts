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

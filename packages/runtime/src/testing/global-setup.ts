/**
 * Vitest global setup shared by every workspace's integration tests. Tests talk to real
 * PostgreSQL and Redis: PG_ADMIN_URL / REDIS_URL when set, else the servers on their default
 * local ports, else an embedded PostgreSQL and a spawned redis-server for this test run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createLogger } from "../logger.ts";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../embedded-postgres.ts";
import { freePort, resolveRedis, type ResolvedRedis } from "../redis-resolve.ts";
import { configuredTestServers, LOCAL_PG_ADMIN, useTestServers } from "./env.ts";

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const log = createLogger({ app: "test-setup" }, { level: "warn" });
  let embedded: EmbeddedPostgresHandle | null = null;
  let redis: ResolvedRedis | null = null;
  let dir: string | null = null;

  const configured = configuredTestServers();
  if (configured.pgAdminUrl === undefined) {
    if (await canConnect(LOCAL_PG_ADMIN)) {
      useTestServers({ pgAdminUrl: LOCAL_PG_ADMIN });
    } else {
      dir = await mkdtemp(path.join(os.tmpdir(), "shardcast-test-"));
      embedded = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log });
      useTestServers({ pgAdminUrl: embedded.adminUrl });
    }
  }
  if (configured.redisUrl === undefined) {
    dir ??= await mkdtemp(path.join(os.tmpdir(), "shardcast-test-"));
    redis = await resolveRedis({ dataDir: dir, log });
    useTestServers({ redisUrl: redis.url });
  }
  return async () => {
    await redis?.stop();
    await embedded?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

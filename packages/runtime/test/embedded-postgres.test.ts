import { chmod, cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { startEmbeddedPostgres } from "../src/embedded-postgres.ts";
import { canEnter, isRoot, postgresAccount } from "../src/embedded-postgres/access.ts";
import { locateBinaries } from "../src/embedded-postgres/binaries.ts";
import { freePort } from "../src/redis-resolve.ts";

const log = createLogger({ app: "test" }, { level: "warn" });
const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

/** A folder like `mktemp -d` makes: mode 700, so no other account can enter it. */
async function privateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shardcast-pg-private-"));
  await chmod(dir, 0o700);
  cleanup.push(dir);
  return dir;
}

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ one: number }>("SELECT 1 AS one");
    return res.rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

describe("canEnter", () => {
  it("refuses a folder behind a mode-700 parent owned by someone else and accepts one behind 755", async () => {
    const who = { uid: 54_321, gid: 54_321 };
    const closed = await privateDir();
    const open = await mkdtemp(path.join(os.tmpdir(), "shardcast-pg-open-"));
    cleanup.push(open);
    await chmod(open, 0o755);
    // Every ancestor of the temp folder is enterable (the test machine's tmp is 1777).
    expect(canEnter(path.join(open, "a", "b"), who)).toBe(true);
    expect(canEnter(path.join(closed, "a"), who)).toBe(false);
    expect(canEnter(closed, { uid: (await stat(closed)).uid, gid: 0 })).toBe(true);
  });
});

describe("embedded PostgreSQL left running by a starter that was killed", () => {
  it("is stopped by the next start on the same data, which then serves it", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "shardcast-pg-leftover-"));
    cleanup.push(dataDir);
    await chmod(dataDir, 0o755);
    const port = await freePort();
    // The first handle is dropped without stop(), as when its starter is SIGKILLed.
    const leftover = await startEmbeddedPostgres({ dataDir, port, log });
    await leftover.ensureDatabase("leftover_check");
    const next = await startEmbeddedPostgres({ dataDir, port, log });
    try {
      expect(await selectOne(next.urlFor("leftover_check"))).toBe(1);
    } finally {
      await next.stop();
    }
  });
});

describe("embedded PostgreSQL on a port another program holds", () => {
  it("says which port and which setting to change", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "shardcast-pg-busy-"));
    cleanup.push(dataDir);
    await chmod(dataDir, 0o755);
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      await expect(startEmbeddedPostgres({ dataDir, port, log })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*SHARDCAST_PG_PORT`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

// Only root hands the server to another account; as an ordinary user every folder of the checkout
// is the server's own, and the start below is the ordinary path.
describe.runIf(isRoot())("embedded PostgreSQL started by root from folders the postgres account cannot enter", () => {
  it("copies the binaries and keeps the data where that account can reach them, and starts again on the same data", async () => {
    // A checkout inside a private home directory: the binaries and the data folder are unreachable.
    const home = await privateDir();
    const installed = await locateBinaries();
    const nativeDir = path.join(home, "node_modules", "native");
    await cp(installed.nativeDir, nativeDir, { recursive: true, verbatimSymlinks: true });
    const dataDir = path.join(home, ".data");
    const runtimeDir = await mkdtemp(path.join(os.tmpdir(), "shardcast-pg-runtime-"));
    cleanup.push(runtimeDir);
    await chmod(runtimeDir, 0o755);

    const account = postgresAccount();
    expect(account === null || !canEnter(nativeDir, account)).toBe(true);

    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port, log, runtimeDir, nativeDir });
    try {
      expect(first.databaseDir.startsWith(runtimeDir)).toBe(true);
      expect((await readFile(path.join(dataDir, "postgres", "LOCATION"), "utf8")).trim()).toBe(first.databaseDir);
      await first.ensureDatabase("relocated_check");
      expect(await selectOne(first.urlFor("relocated_check"))).toBe(1);
    } finally {
      await first.stop();
    }
    // The second start finds the same data (and the same password) without initialising again.
    const second = await startEmbeddedPostgres({ dataDir, port, log, runtimeDir, nativeDir });
    try {
      expect(second.databaseDir).toBe(first.databaseDir);
      expect(await selectOne(second.urlFor("relocated_check"))).toBe(1);
    } finally {
      await second.stop();
    }
    // Copying the binaries, an initdb and two starts: well over the default when every workspace's
    // tests share the machine's two cores.
  }, 150_000);

  it("says in one sentence what to do when no folder it may use is reachable", async () => {
    const home = await privateDir();
    const unreachableRuntime = path.join(await privateDir(), "runtime");
    await expect(
      startEmbeddedPostgres({ dataDir: path.join(home, ".data"), port: await freePort(), log, runtimeDir: unreachableRuntime }),
    ).rejects.toThrow(/start Shardcast as an ordinary user.*SHARDCAST_PG_RUNTIME_DIR.*DATABASE_URL/);
  });
});

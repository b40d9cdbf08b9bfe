import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { redactDsn, redactSecrets, ShardcastError } from "@shardcast/core";
import { childEnv } from "./env.ts";
import { hostRefusal } from "./host/driver.ts";
import { safeMessage } from "./safe-message.ts";

/** The repository root holds prisma.config.ts and scripts/prisma.mjs (the offline CLI wrapper). */
function isRepoRoot(dir: string): boolean {
  return existsSync(join(dir, "prisma.config.ts")) && existsSync(join(dir, "scripts", "prisma.mjs"));
}

function findUp(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (isRepoRoot(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Located from this file, not the working directory, so migrations apply the same way from any
 * app or script. A bundler may move the module; then the working directory is the fallback.
 */
export function repoRoot(): string {
  let fromModule: string | null = null;
  try {
    fromModule = findUp(dirname(fileURLToPath(import.meta.url)));
  } catch {
    fromModule = null;
  }
  const root = fromModule ?? findUp(process.cwd());
  if (!root) throw new ShardcastError("internal", "cannot find the repository root (prisma.config.ts and scripts/prisma.mjs)");
  return root;
}

/**
 * Applies the committed control-plane migrations (prisma/migrations) to `url` with
 * `prisma migrate deploy`, run as a child process through scripts/prisma.mjs. Each output line is
 * passed to `log` with DSNs redacted. Safe to run concurrently: Prisma takes an advisory lock.
 */
export async function applyControlMigrations(url: string, log: (line: string) => void = () => {}): Promise<void> {
  const root = repoRoot();
  const child = spawn(process.execPath, [join(root, "scripts", "prisma.mjs"), "migrate", "deploy"], {
    cwd: root,
    env: childEnv({ DATABASE_URL: url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const onLine = (line: string) => {
    const clean = redactSecrets(line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")).trimEnd();
    if (clean.length === 0) return;
    tail.push(clean);
    if (tail.length > 20) tail.shift();
    log(clean);
  };
  const pipeLines = (stream: NodeJS.ReadableStream) => {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on("end", () => {
      if (buf) onLine(buf);
      buf = "";
    });
  };
  pipeLines(child.stdout);
  pipeLines(child.stderr);
  const code = await new Promise<number>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode, signal) => resolvePromise(exitCode ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    throw new ShardcastError("unavailable", `control database migration failed (exit ${code}): ${tail.slice(-5).join(" | ")}`);
  }
}

/**
 * Creates the database named in `url` when the server does not have it yet (connecting to the
 * `postgres` maintenance database of the same server). Returns true when it was created.
 */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if (hostRefusal(err) !== "no_database") {
      throw new ShardcastError("unavailable", `cannot connect to the control database ${redactDsn(url)}: ${safeMessage(err)}`);
    }
  } finally {
    await probe.end().catch(() => undefined);
  }
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  admin.on("error", () => undefined);
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    return true;
  } catch (err) {
    // Another process may have created it in the meantime.
    if ((err as { code?: unknown }).code === "42P04") return false;
    throw new ShardcastError("unavailable", `cannot create database "${name}" on ${redactDsn(maintenance.toString())}: ${safeMessage(err)}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

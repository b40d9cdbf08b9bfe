#!/usr/bin/env node
// Runs the Prisma CLI from node_modules with the environment that keeps it offline.
// Usage: node scripts/prisma.mjs <prisma args...>   (e.g. `generate`, `migrate deploy`)
//        node scripts/prisma.mjs ensure   (generates the client only when it is missing or older
//        than the schema; run by `npm install`/`npm ci` and before every start, migrate and build)
//        node scripts/prisma.mjs new-migration <name>   (DATABASE_URL: any server the shadow
//        database can be created on; writes prisma/migrations/<timestamp>_<name>/migration.sql)
//
// `migrate dev` creates only the first migration with the JavaScript schema engine of 6.19: later
// runs stop with "PostgreSQL shadow DB must be provided through an external factory". So new
// migrations come from `migrate diff --from-migrations ... --to-schema-datamodel ... --script`,
// which replays the existing migrations on a shadow database; `new-migration` does exactly that.
//
// Workarounds for Prisma 6.19 (see prisma.config.ts for the adapter side, prisma/orm#27403);
// delete them when the CLI stops fetching native engines that the JS engine path never uses:
// - PRISMA_QUERY_ENGINE_LIBRARY: `generate` fetches the native query engine library even for the
//   `prisma-client` generator with engineType "client". Any existing file stops the download.
// - PRISMA_SCHEMA_ENGINE_BINARY: same for the native schema engine; prisma.config.ts selects the
//   JavaScript schema engine, so the binary is never run.
// - DATABASE_URL: the schema's datasource names it, and `generate` fails when it is unset although
//   it never connects. A placeholder is used for the commands that never connect (OFFLINE_COMMANDS).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureHostMigrationsModule } from "./host-migrations.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));

let cliPackage;
try {
  cliPackage = require.resolve("prisma/package.json");
} catch {
  console.error("prisma is not installed: run `npm install` at the repository root first");
  process.exit(1);
}
const cliDir = dirname(cliPackage);
const cli = join(cliDir, "build", "index.js");

const args = process.argv.slice(2);

// The generated client is not committed: it is made from the schema here, on every path that
// needs it (install, start, migrate, build, test), and only when the schema or Prisma changed.
const generatedDir = join(root, "packages", "db", "src", "generated", "prisma");
const stampFile = join(generatedDir, ".schema-stamp");
function schemaStamp() {
  const version = JSON.parse(readFileSync(cliPackage, "utf8")).version;
  return createHash("sha256").update(version).update(readFileSync(join(root, "prisma", "schema.prisma"))).digest("hex");
}
if (args[0] === "ensure" || args[0] === "generate") {
  if (ensureHostMigrationsModule(root)) console.log("embedded the storage-host migrations");
}
if (args[0] === "ensure") {
  const stamp = schemaStamp();
  const current = existsSync(join(generatedDir, "client.ts")) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === stamp;
  if (current) process.exit(0);
  console.log("generating the Prisma client (first run or changed schema)");
  args.splice(0, 1, "generate");
}
if (args[0] === "generate") {
  // Both `ensure` and a plain `generate` leave the stamp, so `ensure` after `generate` is a no-op.
  process.on("exit", (code) => {
    if (code === 0) writeFileSync(stampFile, `${schemaStamp()}\n`);
  });
}

const env = { ...process.env };

// Any file that exists will do; the CLI's own entry point always does.
const standIn = cli;
for (const name of ["PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_SCHEMA_ENGINE_BINARY"]) {
  if (!env[name] || !existsSync(env[name])) env[name] = standIn;
}
env.PRISMA_HIDE_UPDATE_MESSAGE ??= "1";
env.CHECKPOINT_DISABLE ??= "1";
env.PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING ??= "1";
// Commands that never connect; the rest need the real DATABASE_URL and say so when it is missing.
const OFFLINE_COMMANDS = new Set(["generate", "validate", "format", "version", "--version", "-v"]);
if (!env.DATABASE_URL && OFFLINE_COMMANDS.has(args[0] ?? "")) {
  env.DATABASE_URL = "postgresql://placeholder@127.0.0.1:5432/placeholder";
}

if (args[0] === "new-migration") {
  newMigration(args[1]);
  process.exit(0);
}

function newMigration(name) {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("usage: node scripts/prisma.mjs new-migration <name>   (name: a-z, 0-9, _)");
    process.exit(2);
  }
  if (!env.DATABASE_URL) {
    console.error("DATABASE_URL is not set: the shadow database is created on that server");
    process.exit(2);
  }
  const diff = spawnSync(
    process.execPath,
    [cli, "migrate", "diff", "--from-migrations", "prisma/migrations", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
    { cwd: root, env, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
  );
  if (diff.status !== 0) process.exit(diff.status ?? 1);
  const sql = diff.stdout.trim();
  if (sql === "" || sql === "-- This is an empty migration.") {
    console.log("prisma/schema.prisma and prisma/migrations agree: no migration needed");
    return;
  }
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const dir = join(root, "prisma", "migrations", `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration.sql"), `${sql}\n`);
  console.log(`wrote prisma/migrations/${stamp}_${name}/migration.sql`);
}

const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});

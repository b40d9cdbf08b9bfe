#!/usr/bin/env node
// Runs the Prisma CLI from node_modules with the environment that keeps it offline.
// Usage: node scripts/prisma.mjs <prisma args...>   (e.g. `generate`, `migrate deploy`)
//
// Workarounds for Prisma 6.19 (see prisma.config.ts for the adapter side, prisma/orm#27403);
// delete them when the CLI stops fetching native engines that the JS engine path never uses:
// - PRISMA_QUERY_ENGINE_LIBRARY: `generate` fetches the native query engine library even for the
//   `prisma-client` generator with engineType "client". Any existing file stops the download.
// - PRISMA_SCHEMA_ENGINE_BINARY: same for the native schema engine; prisma.config.ts selects the
//   JavaScript schema engine, so the binary is never run.
// - DATABASE_URL: the schema's datasource names it, and `generate` fails when it is unset although
//   it never connects. A placeholder is used for `generate` only.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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
const env = { ...process.env };

// Any file that exists will do; the CLI's own entry point always does.
const standIn = cli;
for (const name of ["PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_SCHEMA_ENGINE_BINARY"]) {
  if (!env[name] || !existsSync(env[name])) env[name] = standIn;
}
env.PRISMA_HIDE_UPDATE_MESSAGE ??= "1";
env.CHECKPOINT_DISABLE ??= "1";
env.PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING ??= "1";
if (!env.DATABASE_URL && args[0] === "generate") {
  env.DATABASE_URL = "postgresql://placeholder@127.0.0.1:5432/placeholder";
}

const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});

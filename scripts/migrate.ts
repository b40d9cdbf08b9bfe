// `npm run db:migrate`: applies the committed control-plane migrations to DATABASE_URL, creating
// the database first when the server does not have it yet, then the storage-host migrations
// (packages/db/host-migrations) to every registered host.
import { redactDsn } from "@shardcast/core";
import { createControlDb, listHosts, upgradeHostSchemas } from "@shardcast/db";
import { applyControlMigrations, ensureDatabaseExists } from "@shardcast/db/migrate";
import { loadMigrateConfig } from "./env.ts";

function say(line: string): void {
  process.stdout.write(`[db:migrate] ${line}\n`);
}

async function main(): Promise<void> {
  const url = loadMigrateConfig().DATABASE_URL;
  const started = Date.now();
  say(`target ${redactDsn(url)}`);
  if (await ensureDatabaseExists(url)) say("created the database");
  say("applying migrations (prisma migrate deploy)");
  await applyControlMigrations(url, (line) => say(`  ${line}`));
  const db = createControlDb(url);
  try {
    const hosts = (await listHosts(db)).length;
    say(`applying storage-host migrations to ${hosts} registered host(s)`);
    const unreachable = await upgradeHostSchemas(db, (line) => say(`  ${line}`));
    // The worker upgrades them again at start; a host that is down now must not block a release.
    if (unreachable.length > 0) say(`not reached, upgraded when the worker next starts: ${unreachable.join(", ")}`);
  } finally {
    await db.$disconnect();
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

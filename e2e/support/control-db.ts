import { readFileSync } from "node:fs";
import path from "node:path";
import { createControlDb, type ControlDb } from "@shardcast/db";
import { CONTROL_DATABASE_URL, SYSTEM_DATA_DIR, SYSTEM_DATA_DIR_VAR, SYSTEM_PG_PORT } from "./env.ts";

/**
 * The control database of the system under test, through @shardcast/db's own functions, for
 * records only the worker creates (a spec cannot make the edges' model predict on cue). `npm start`
 * uses DATABASE_URL when it is set, else its embedded server, whose password it keeps beside the data.
 */
export function openControlDb(): ControlDb {
  if (CONTROL_DATABASE_URL) return createControlDb(CONTROL_DATABASE_URL, { poolSize: 2 });
  const dataDir = SYSTEM_DATA_DIR;
  const port = SYSTEM_PG_PORT;
  if (!dataDir || !port) throw new Error(`${SYSTEM_DATA_DIR_VAR} is not set: run the spec through the Playwright config, which starts the system`);
  const password = readFileSync(path.join(dataDir, "postgres", "password"), "utf8").trim();
  return createControlDb(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/shardcast`, { poolSize: 2 });
}

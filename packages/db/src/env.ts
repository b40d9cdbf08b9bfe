/** The only place this package reads the environment. */
import { DEFAULT_PASSWORD_HASH_COST, passwordHashCostSchema } from "@shardcast/core";

const DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Admin connection used by the test helpers to create and drop scratch databases. */
export function pgAdminUrl(): string {
  return process.env.PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL;
}

/** Environment for the Prisma CLI child process (it needs PATH, HOME and the PRISMA_* overrides). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/**
 * `SHARDCAST_PASSWORD_HASH_COST`: the scrypt cost of the password hashes this process writes.
 * Read once; a value outside 14-20 is a configuration error at the first hash (the console checks
 * it at its start already), not a request's.
 */
let passwordHashCostValue: number | undefined;
export function passwordHashCost(): number {
  if (passwordHashCostValue !== undefined) return passwordHashCostValue;
  const raw = process.env.SHARDCAST_PASSWORD_HASH_COST;
  if (raw === undefined || raw === "") return (passwordHashCostValue = DEFAULT_PASSWORD_HASH_COST);
  const parsed = passwordHashCostSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${parsed.error.issues[0]?.message ?? "SHARDCAST_PASSWORD_HASH_COST is invalid"} (log2 of scrypt's N), got "${raw}"`);
  return (passwordHashCostValue = parsed.data);
}

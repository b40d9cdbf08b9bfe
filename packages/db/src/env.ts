/** The only place this package reads the environment. */

const DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Admin connection used by the test helpers to create and drop scratch databases. */
export function pgAdminUrl(): string {
  return process.env.PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL;
}

/** Environment for the Prisma CLI child process (it needs PATH, HOME and the PRISMA_* overrides). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Where the systems under test listen and who signs in. Shared by the configs and the tests. */
export const WEB_PORT = 3100;
export const EDGE_PORT = 4100;
export const WEB_URL = `http://127.0.0.1:${WEB_PORT}`;
export const EDGE_URL = `http://127.0.0.1:${EDGE_PORT}`;

/** The demo system (playwright.demo.config.ts) runs after the main suite, on its own ports. */
export const DEMO_WEB_PORT = 3150;
export const DEMO_EDGE_PORT = 4150;

export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "e2e-admin-password-1";

/** Playwright evaluates configs in its runner and again in every worker process. */
export const IN_PLAYWRIGHT_WORKER = process.env.TEST_WORKER_INDEX !== undefined;
/** `E2E_KEEP_DATA=1` keeps the system's data folder after the run, for a look at a failure. */
export const KEEP_DATA = !!process.env.E2E_KEEP_DATA;
export const IN_CI = !!process.env.CI;

/**
 * Set by the runner for its workers (which inherit its environment): where the system under test
 * keeps its data and which port its embedded PostgreSQL listens on, for specs that seed the
 * control database with records no console flow creates.
 */
export const SYSTEM_DATA_DIR_VAR = "SHARDCAST_E2E_DATA_DIR";
export const SYSTEM_PG_PORT_VAR = "SHARDCAST_E2E_PG_PORT";

/** The system's control database when it runs on a given server (`npm start` uses it too). */
export const CONTROL_DATABASE_URL = process.env.DATABASE_URL;
/** Set in workers (see SYSTEM_DATA_DIR_VAR): the embedded system's data folder and PostgreSQL port. */
export const SYSTEM_DATA_DIR = process.env[SYSTEM_DATA_DIR_VAR];
export const SYSTEM_PG_PORT = process.env[SYSTEM_PG_PORT_VAR];

/** The runner tells its workers (which inherit its environment) where the system under test keeps its data. */
export function shareSystemLocation(dataDir: string, pgPort: number): void {
  process.env[SYSTEM_DATA_DIR_VAR] = dataDir;
  process.env[SYSTEM_PG_PORT_VAR] = String(pgPort);
}

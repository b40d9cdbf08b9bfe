import { systemConfig } from "./support/system.ts";
import { EDGE_PORT, WEB_PORT } from "./support/env.ts";

/** The console's flows, on a system without the demo (each test makes its own streams and keys). */
export default systemConfig({
  testDir: "./tests",
  webPort: WEB_PORT,
  edgePort: EDGE_PORT,
  pgPort: 54339,
  workerHealthPort: 9470,
  demo: "off",
  timeoutMs: 120_000,
  extraEnv: {
    // The production shape: two edges behind a round-robin entry, two workers (the demo keeps one of each).
    SHARDCAST_EDGES: "2",
    SHARDCAST_WORKERS: "2",
    // Forecasting models train in seconds here: the tests check the flow, not the model's skill.
    SHARDCAST_TRAIN_EPOCHS: "3",
    // The periods a test's outcome waits on, from tens of seconds down to a few: the tests check
    // that the worker and the edge act on what happened, not how often they look. The demo keeps
    // the defaults a new user gets.
    SHARDCAST_ANALYZER_EVERY_MS: "5000",
    SHARDCAST_REBALANCE_EVERY_MS: "5000",
    SHARDCAST_TELEMETRY_ROLLUP_EVERY_MS: "2000",
    SHARDCAST_ACCOUNTING_EVERY_MS: "2000",
    SHARDCAST_MANAGER_EVERY_MS: "2000",
    SHARDCAST_TELEMETRY_FLUSH_MS: "1000",
    // Users are created and signed in dozens of times while the rest of `npm test` shares the
    // machine: a lighter scrypt cost keeps each under a second. The demo keeps the default.
    SHARDCAST_PASSWORD_HASH_COST: "14",
  },
});

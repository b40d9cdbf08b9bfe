import { systemConfig } from "./support/system.ts";
import { EDGE_PORT, WEB_PORT } from "./support/env.ts";

/** The console's flows, on a system without the demo (each test makes its own streams and keys). */
export default systemConfig({
  testDir: "./tests",
  webPort: WEB_PORT,
  edgePort: EDGE_PORT,
  pgPort: 54339,
  demo: "off",
  timeoutMs: 120_000,
  // Forecasting models train in seconds here: the tests check the flow, not the model's skill.
  extraEnv: { SHARDCAST_TRAIN_EPOCHS: "3" },
});

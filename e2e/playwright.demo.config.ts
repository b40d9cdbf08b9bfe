import { systemConfig } from "./support/system.ts";
import { DEMO_EDGE_PORT, DEMO_WEB_PORT } from "./support/env.ts";

/** The README's demo exactly as a new user starts it: the tests only watch, they change nothing. */
export default systemConfig({
  testDir: "./demo",
  webPort: DEMO_WEB_PORT,
  edgePort: DEMO_EDGE_PORT,
  pgPort: 54341,
  demo: "on",
  // The demo's compressed day must reach its first split and proposal; the test waits on them.
  timeoutMs: 12 * 60_000,
});

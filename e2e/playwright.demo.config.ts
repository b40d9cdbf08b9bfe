import { systemConfig } from "./support/system.ts";
import { DEMO_EDGE_PORT, DEMO_WEB_PORT } from "./support/env.ts";

/** The README's demo exactly as a new user starts it: the tests only watch, they change nothing. */
export default systemConfig({
  testDir: "./demo",
  webPort: DEMO_WEB_PORT,
  edgePort: DEMO_EDGE_PORT,
  pgPort: 54341,
  workerHealthPort: 9480,
  demo: "on",
  // The demo's compressed day must reach its first split and proposal; the test waits on them.
  timeoutMs: 12 * 60_000,
  // `npm test` runs this suite beside the type-check and unit tests on two cores, and its first
  // sign-in pays the product's full password-hash cost and the console's first page loads while
  // the demo's producer, edge and worker start up: seconds that the console flows' 15 s do not
  // always cover. Every wait still ends as soon as the page shows what it waits for.
  expectTimeoutMs: 60_000,
});

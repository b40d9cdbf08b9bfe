import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type PlaywrightTestConfig } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, IN_CI, IN_PLAYWRIGHT_WORKER, KEEP_DATA, shareSystemLocation } from "./env.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface SystemUnderTest {
  /** Folder of the spec files this system runs. */
  testDir: string;
  webPort: number;
  edgePort: number;
  /** Another port than a developer's own `npm start` (54329), so both can run at once. */
  pgPort: number;
  /** The first worker's health port (the next workers take the ports after it); another per system. */
  workerHealthPort: number;
  /** `on`: the README's demo cluster and producer, exactly as a new user gets them. */
  demo: "on" | "off";
  /** Longest a single test may run. */
  timeoutMs: number;
  /** Longest an assertion waits for the page (default 15 s). */
  expectTimeoutMs?: number;
  extraEnv?: Record<string, string>;
}

/**
 * The Playwright configuration of one system started with the README's start command (`npm start`)
 * on test ports and a fresh data folder. Each config file names one system, with ports, a data
 * folder, a Redis prefix and an output folder of its own, so the two suites can run at once.
 */
export function systemConfig(sut: SystemUnderTest): PlaywrightTestConfig {
  // Playwright evaluates the config in the runner and again in each worker; only the runner starts
  // the web server, so only the runner makes a data directory.
  const isWorker = IN_PLAYWRIGHT_WORKER;
  const dataDir = isWorker ? "" : mkdtempSync(path.join(tmpdir(), "shardcast-e2e-"));
  if (!isWorker) {
    // A mkdtemp folder is private (700): the start would relocate the embedded server's data to
    // where the postgres account can reach it. Tests keep it here, so the data goes with the run.
    chmodSync(dataDir, 0o755);
    // The runner exits after the web server has stopped, so the data can go then (E2E_KEEP_DATA=1 keeps it).
    if (!KEEP_DATA) process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
    // Workers start after the config is read and inherit the runner's environment.
    shareSystemLocation(dataDir, sut.pgPort);
  }
  const webUrl = `http://127.0.0.1:${sut.webPort}`;
  return defineConfig({
    testDir: sut.testDir,
    // Playwright empties its output folder when it starts and keeps traces under it by worker
    // index, so two suites running at once must not share one.
    outputDir: `./test-results/${path.basename(sut.testDir)}`,
    fullyParallel: false,
    workers: 1,
    retries: 0,
    forbidOnly: IN_CI,
    timeout: sut.timeoutMs,
    expect: { timeout: sut.expectTimeoutMs ?? 15_000 },
    reporter: [["list"]],
    use: {
      baseURL: webUrl,
      browserName: "chromium",
      headless: true,
      viewport: { width: 1360, height: 900 },
      trace: "retain-on-failure",
      screenshot: "only-on-failure",
      launchOptions: {
        executablePath: "/usr/bin/chromium",
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      },
    },
    webServer: {
      command: "npm start",
      cwd: repoRoot,
      url: `${webUrl}/api/health`,
      // The start command builds the console first when its sources changed.
      timeout: 10 * 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGINT", timeout: 30_000 },
      env: {
        SHARDCAST_DATA_DIR: dataDir,
        SHARDCAST_WEB_PORT: String(sut.webPort),
        SHARDCAST_EDGE_PORT: String(sut.edgePort),
        SHARDCAST_PG_PORT: String(sut.pgPort),
        SHARDCAST_WORKER_HEALTH_PORT: String(sut.workerHealthPort),
        SHARDCAST_ADMIN_EMAIL: ADMIN_EMAIL,
        SHARDCAST_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SHARDCAST_DEMO: sut.demo,
        SHARDCAST_REDIS_PREFIX: `e2e-${sut.webPort}-${process.pid}-${Date.now().toString(36)}`,
        NEXT_TELEMETRY_DISABLED: "1",
        ...sut.extraEnv,
      },
    },
  });
}

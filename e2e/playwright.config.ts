import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, EDGE_PORT, WEB_PORT, WEB_URL } from "./support/env.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");

// Playwright evaluates this file in the runner and again in each worker; only the runner starts
// the web server, so only the runner makes a data directory.
const isWorker = process.env.TEST_WORKER_INDEX !== undefined;
const dataDir = isWorker ? "" : mkdtempSync(path.join(tmpdir(), "shardcast-e2e-"));
if (!isWorker) {
  // Embedded PostgreSQL runs as the `postgres` user when started by root: it must reach the directory.
  chmodSync(dataDir, 0o755);
  // The runner exits after the web server has stopped, so the data can go then (E2E_KEEP_DATA=1 keeps it).
  if (!process.env.E2E_KEEP_DATA) process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
}
const redisPrefix = `e2e-${process.pid}-${Date.now().toString(36)}`;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results/artifacts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: WEB_URL,
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
    url: `${WEB_URL}/api/health`,
    // The start command builds the console first when its sources changed.
    timeout: 10 * 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGINT", timeout: 30_000 },
    env: {
      SHARDCAST_DATA_DIR: dataDir,
      SHARDCAST_WEB_PORT: String(WEB_PORT),
      SHARDCAST_EDGE_PORT: String(EDGE_PORT),
      // Another port than a developer's own `npm start` (54329), so both can run at once.
      SHARDCAST_PG_PORT: "54339",
      SHARDCAST_ADMIN_EMAIL: ADMIN_EMAIL,
      SHARDCAST_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SHARDCAST_DEMO: "off",
      SHARDCAST_REDIS_PREFIX: redisPrefix,
      NEXT_TELEMETRY_DISABLED: "1",
      // Forecasting models train in seconds here: the tests check the flow, not the model's skill.
      SHARDCAST_TRAIN_EPOCHS: "3",
    },
  },
});

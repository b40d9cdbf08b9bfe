import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYZER_SETTINGS_KEY, parseAnalyzerSettings } from "@shardcast/core";
import { getAnalyzerSettings, getLifecycleSettings, updateAnalyzerSettings } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { loadStartConfig, type StartConfig } from "../env.ts";
import { DEMO_ANALYZER, seed } from "../start/seed.ts";

/** What the analyzer defaulted to before the product defaults became hourly: the demo's day. */
const DEMO_SERIES = { bucketSec: 10, period: 60, historySteps: 180, horizonSec: 300 };

describe("the demo start's settings", () => {
  let c: TestCluster;
  let cfg: StartConfig;
  const lines: string[] = [];
  const start = () => seed(c.db, c.hosts, cfg, [], (line) => lines.push(line), "demo-seeded");

  beforeAll(async () => {
    c = await createTestCluster({ hosts: 1, stream: "other", shardCount: 1, shardletsPerShard: 1 });
    cfg = { ...loadStartConfig(process.cwd()), SHARDCAST_DEMO: "on", SHARDCAST_ADMIN_EMAIL: undefined, SHARDCAST_ADMIN_PASSWORD: undefined };
  });
  afterAll(async () => {
    await c?.drop();
  });

  it("runs the analyzer on the demo's ten-minute day, as the old defaults did, and says so", async () => {
    // The product defaults are not the demo's: without the stored setting it would forecast hourly.
    expect(parseAnalyzerSettings({})).not.toMatchObject(DEMO_SERIES);
    await start();
    expect(DEMO_ANALYZER).toEqual(DEMO_SERIES);
    // Only the series change: everything else stays at the product defaults.
    expect(await getAnalyzerSettings(c.db)).toEqual(parseAnalyzerSettings(DEMO_SERIES));
    expect(lines.some((l) => l.startsWith("demo analyzer: 10 s steps"))).toBe(true);
    expect((await getLifecycleSettings(c.db)).splitWriteRate).toBe(45);
  });

  it("fills the analyzer in for a data directory from before it was a demo setting", async () => {
    await c.db.setting.delete({ where: { key: ANALYZER_SETTINGS_KEY } });
    expect((await getAnalyzerSettings(c.db)).bucketSec).toBe(parseAnalyzerSettings({}).bucketSec);
    await start();
    expect(await getAnalyzerSettings(c.db)).toEqual(parseAnalyzerSettings(DEMO_SERIES));
  });

  it("keeps analyzer settings stored before, by the demo or on the Heatmap page", async () => {
    await updateAnalyzerSettings(c.db, { bucketSec: 60, horizonSec: 600, maxProposals: 5 }, null);
    lines.length = 0;
    await start();
    expect(await getAnalyzerSettings(c.db)).toMatchObject({ bucketSec: 60, horizonSec: 600, period: 60, historySteps: 180, maxProposals: 5 });
    expect(lines.some((l) => l.startsWith("demo analyzer"))).toBe(false);
  });
});

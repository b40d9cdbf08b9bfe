import { parseAnalyzerSettings, PLACEMENT_SETTINGS_KEY } from "@shardcast/core";
import { listReplicas, listShardlets, recordAnalyzerRun, updateSetting, type ShardletInfo } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { startReplicaHarness } from "./replica-harness.ts";

/**
 * Replicas ahead of the reads: a shardlet nobody reads yet, whose trusted read forecast peaks above
 * the replica threshold within the look-ahead, gets its replica now. A forecast the analyzer did not
 * trust, a peak past the look-ahead, or the look-ahead turned off leave it alone.
 */

let t: MigrationHarness;
let a: ShardletInfo;
const bucketMs = parseAnalyzerSettings({}).bucketSec * 1000;
/** A look-ahead of two analyzer buckets. */
const lead = (2 * bucketMs) / 1000;

/** An analyzer run that forecasts these read series (and nothing else). */
async function storeReadRun(readForecasts: Array<{ shardletId: string; streamId: string; values: number[]; model: string }>): Promise<void> {
  await recordAnalyzerRun(t.h.db, {
    at: new Date(),
    horizonSec: (30 * bucketMs) / 1000,
    bucketSec: bucketMs / 1000,
    modelVersionId: null,
    ranking: [],
    forecastStartMs: Math.floor(Date.now() / bucketMs) * bucketMs,
    forecasts: [],
    readForecasts,
  });
}

/** An analyzer run whose read forecast of `a` is quiet, then `peak` reads/s from step `peakStep` on. */
async function storeReadForecast(model: string, peakStep: number, peak = 500): Promise<void> {
  await storeReadRun([{ shardletId: a.id, streamId: a.streamId, values: Array.from({ length: 30 }, (_, i) => (i >= peakStep ? peak : 0)), model }]);
}

const settings = (readForecastLeadSec: number) => updateSetting(t.h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 86_400, replicaMinReadsPerSec: 100, maxReplicas: 4, readForecastLeadSec }, null);
const run = () => runPlacement(t.h.deps, { redis: t.h.redis, prefix: t.h.prefix });

beforeAll(async () => {
  ({ t } = await startReplicaHarness());
  a = (await listShardlets(t.h.db, { streamId: t.h.streamId })).find((s) => s.state === "active")!;
  await t.write(a, 50, { inRangeShare: 1 });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("placement: replicas from the read forecast", () => {
  it("ignores an untrusted forecast, a peak past the look-ahead, and a look-ahead of 0", async () => {
    await settings(lead);
    await storeReadForecast("observed_rate", 1);
    expect(await run()).toMatchObject({ replicated: 0, forecastRates: 0 });
    // The peak comes 20 buckets out, past a look-ahead of 2 buckets.
    await settings(lead);
    await storeReadForecast("weekly_median", 20);
    expect(await run()).toMatchObject({ replicated: 0, forecastRates: 0 });
    await settings(0);
    await storeReadForecast("weekly_median", 1);
    expect(await run()).toMatchObject({ replicated: 0, forecastRates: 0 });
    expect(await listReplicas(t.h.db)).toEqual([]);
  });

  it("replicates a shardlet before its forecast reads arrive, also after a later run over another stream", async () => {
    await settings(lead);
    await storeReadForecast("weekly_median", 1);
    // A run over one other stream forecasts only that stream's reads: it does not hide this one's.
    await storeReadRun([{ shardletId: "elsewhere", streamId: "another-stream", values: new Array<number>(30).fill(1), model: "weekly_median" }]);
    expect(await run()).toMatchObject({ replicated: 1, forecastRates: 1 });
    const [replica] = await listReplicas(t.h.db);
    expect(replica).toMatchObject({ shardletId: a.id, sourceHostId: a.hostId });
  });
});

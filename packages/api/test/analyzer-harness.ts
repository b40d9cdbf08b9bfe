import { afterAll, beforeAll } from "vitest";
import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import { createStream, listShardlets, recordAnalyzerRun, replaceAnalyzerProposals, type ShardletInfo } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

/**
 * What the analyzer and heatmap console tests share: two hosts, a viewer, an operator and an admin,
 * one stream "heat" of four shardlets with 30 steps of telemetry, an earlier run that forecast the
 * past, and the latest run with its proposals (a split, a migrate and an add-host).
 */

export interface Proposal {
  id: string;
  kind: string;
  status: string;
  shardletId: string | null;
  streamName: string | null;
  sourceHostName: string | null;
  destHostName: string | null;
  urgencySec: number | null;
  range: { loHex: string } | null;
  migrationId: string | null;
  provision: Record<string, unknown> | null;
  decidedBy: string | null;
}

const STEP = 10_000;

export interface AnalyzerConsole {
  h: Harness;
  viewer: string;
  operator: string;
  admin: string;
  streamId: string;
  shardlets: ShardletInfo[];
  /** The latest run's forecast start. */
  base: number;
  /** The latest run. */
  runId: string;
  /** The queued jobs (nothing runs them here): id, name and data. */
  jobs: () => Promise<Array<{ id: string | undefined; name: string; data: Record<string, unknown> }>>;
  /**
   * A run as the worker stores it: 12 forecast steps from `base`, shardlet i forecast at 100 x (i + 1)
   * writes/s; reads forecast at 60/s for the first shardlet and (untrusted, the observed rate) 10/s for the second.
   */
  storeRun: (at: number) => Promise<string>;
}

async function analyzerConsole(h: Harness): Promise<AnalyzerConsole> {
  const [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  const stream = await createStream(h.db, h.hosts, { name: "heat", shardCount: 1, shardletsPerShard: 4 });
  const streamId = stream.id;
  const shardlets = await listShardlets(h.db, { streamId });
  const now = Date.now();
  // The runs below are stored at 10 s steps, whatever step the analyzer defaults to.
  const base = forecastStartMs(now, { bucketSec: STEP / 1000, telemetryLagSec: parseAnalyzerSettings({}).telemetryLagSec });

  async function jobs(): Promise<Array<{ id: string | undefined; name: string; data: Record<string, unknown> }>> {
    const list = await h.queue.getJobs(["waiting", "delayed", "prioritized"]);
    return list.map((j) => ({ id: j.id, name: j.name, data: { ...j.data } }));
  }

  async function storeRun(at: number): Promise<string> {
    const run = await recordAnalyzerRun(h.db, {
      at: new Date(at),
      horizonSec: 120,
      bucketSec: 10,
      modelVersionId: null,
      ranking: shardlets.map((s, i) => ({ shardletId: s.id, predictedPeak: 100 * (i + 1), threshold: 4500, overloadInSec: null, score: (100 * (i + 1)) / 4500 })),
      forecastStartMs: base,
      forecasts: shardlets.map((s, i) => ({ shardletId: s.id, streamId, values: new Array<number>(12).fill(100 * (i + 1)) })),
      // Reads: the first shardlet's forecast is its model's, the second's was not trusted (its observed rate).
      readForecasts: [
        { shardletId: shardlets[0]!.id, streamId, values: new Array<number>(12).fill(60), model: "weekly_median" },
        { shardletId: shardlets[1]!.id, streamId, values: new Array<number>(12).fill(10), model: "observed_rate" },
      ],
    });
    return run.id;
  }

  // 30 actual steps before the forecast start: shardlet i writes 10 x (i + 1) events/s and reads 5 x (i + 1).
  await h.db.telemetryBucket.createMany({
    data: shardlets.flatMap((s, i) =>
      Array.from({ length: 30 }, (_, k) => ({
        resolution: 10,
        bucketStart: new Date(base - (30 - k) * STEP),
        shardletId: s.id,
        streamId,
        writes: BigInt(100 * (i + 1)),
        reads: BigInt(50 * (i + 1)),
      })),
    ),
  });
  // An earlier run that forecast the past 10 steps at 7 events/s for the first shardlet.
  await recordAnalyzerRun(h.db, {
    at: new Date(base - 11 * STEP),
    horizonSec: 120,
    bucketSec: 10,
    modelVersionId: null,
    ranking: [],
    forecastStartMs: base - 10 * STEP,
    forecasts: [{ shardletId: shardlets[0]!.id, streamId, values: new Array<number>(12).fill(7) }],
  });
  const runId = await storeRun(now);
  await replaceAnalyzerProposals(
    h.db,
    runId,
    [
      { kind: "split", streamId, shardletId: shardlets[3]!.id, sourceHostId: shardlets[3]!.hostId, urgencySec: 40, expectedBenefit: 400, reason: "forecast write rate reaches 4.5k events/s in 40 s", details: { predictedPeak: 400 } },
      {
        kind: "migrate",
        streamId,
        shardletId: shardlets[0]!.id,
        sourceHostId: shardlets[0]!.hostId,
        destHostId: h.hostIds.find((x) => x !== shardlets[0]!.hostId)!,
        urgencySec: 90,
        expectedBenefit: 100,
        reason: "host predicted above its bound",
        details: { bytesToMove: 0, expectedLoad: {}, feasibility: { headroom: { ok: true, detail: "fits" } }, shardletEpoch: shardlets[0]!.epoch },
      },
      { kind: "add_host", urgencySec: 0, reason: "forecast cluster write rate passes 85% of capacity", details: { capacity: 10000 } },
    ],
    { streamIds: null },
  );
  return { h, viewer, operator, admin, streamId, shardlets, base, runId, jobs, storeRun };
}

/** For a test file: starts the console before its tests and hands it to `ready`, and closes it after them. */
export function useAnalyzerConsole(ready: (c: AnalyzerConsole) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness({ hosts: 2 });
    ready(await analyzerConsole(h));
  });
  afterAll(async () => {
    await h?.close();
  });
}

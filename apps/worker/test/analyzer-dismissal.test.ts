import { randomBytes } from "node:crypto";
import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import {
  dismissAnalyzerProposal,
  getAnalyzerProposal,
  listAnalyzerProposals,
  listShardlets,
  markAnalyzerProposalApplied,
  updateAnalyzerSettings,
  updateLifecycleSettings,
  type AnalyzerProposalInfo,
  type ShardletInfo,
} from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { backdateShardlets, insertWriteRates } from "./analyzer-telemetry.ts";

/**
 * One shardlet writes above the split write rate for the whole history, so every run over the same
 * telemetry proposes the same split. The proposal keeps its id from run to run, a dismissal holds
 * it back while the load stays as it was, and the load doubling brings it back.
 */
describe("analyzer: the same proposal keeps its id, and a dismissal sticks until the load changes", () => {
  let c: TestCluster;
  let hot: ShardletInfo;
  let end: number;
  const nowMs = Date.now();
  const log = createLogger({ test: "analyzer-dismissal" }, { level: "error" });
  const run = () => runAnalyzer({ db: c.db, log, clock: () => nowMs }, { trigger: "manual" });
  const openSplits = async (): Promise<AnalyzerProposalInfo[]> =>
    (await listAnalyzerProposals(c.db, { status: "open", kind: "split", source: "analyzer", limit: 50 })).filter((p) => p.shardletId === hot.id);
  const setRate = (rate: number) => c.db.telemetryBucket.updateMany({ where: { shardletId: hot.id }, data: { writes: BigInt(rate * 10), bytesWritten: BigInt(rate * 1000) } });

  beforeAll(async () => {
    c = await createTestCluster({
      hosts: 2,
      stream: `an-dismiss-${randomBytes(3).toString("hex")}`,
      shardCount: 1,
      shardletsPerShard: 4,
      beforeStream: async (db) => {
        await updateLifecycleSettings(db, { splitWriteRate: 200 }, null);
      },
    });
    await updateAnalyzerSettings(c.db, { bucketSec: 10, horizonSec: 120, historySteps: 30, telemetryLagSec: 0, period: 60 }, null);
    await backdateShardlets(c.db, c.streamId, nowMs);
    const shardlets = await listShardlets(c.db, { streamId: c.streamId });
    hot = shardlets[1]!;
    end = forecastStartMs(nowMs, parseAnalyzerSettings({ bucketSec: 10, horizonSec: 120, telemetryLagSec: 0 }));
    for (const s of shardlets) {
      await insertWriteRates(c.db, { streamId: c.streamId, shardletId: s.id, endMs: end, bucketSec: 10, rates: new Array<number>(30).fill(s.id === hot.id ? 300 : 10) });
    }
  });

  afterAll(async () => {
    await c?.drop();
  });

  let first: AnalyzerProposalInfo;

  it("gives the same proposal the same id in the next run, with the next run's figures", async () => {
    const r1 = await run();
    const [p1] = await openSplits();
    expect(p1).toBeDefined();
    first = p1!;
    const r2 = await run();
    const again = await openSplits();
    expect(again.map((p) => p.id)).toEqual([first.id]);
    expect(again[0]!.runId).toBe(r2.runId);
    expect(r2.runId).not.toBe(r1.runId);
    expect(r2.superseded).toBe(0);
    // An operator's click made before the second run still acts on it.
    expect((await getAnalyzerProposal(c.db, first.id))?.status).toBe("open");
  });

  it("holds a dismissed proposal back while its load is what it was", async () => {
    await dismissAnalyzerProposal(c.db, first.id, "ops@example.com");
    const r = await run();
    expect(await openSplits()).toEqual([]);
    expect(r.heldBack).toBe(1);
    expect(r.proposals.split).toBe(0);
    // The dismissal moved to the newest run, so the run retention keeps it while it holds.
    expect(await getAnalyzerProposal(c.db, first.id)).toMatchObject({ status: "dismissed", runId: r.runId });
  });

  it("proposes it again once the load has doubled, saying why; approving it after a further run works", async () => {
    await setRate(600);
    await run();
    const [back] = await openSplits();
    expect(back).toBeDefined();
    expect(back!.id).not.toBe(first.id);
    const after = back!.details?.afterDismissal as { proposalId?: string; dismissedBy?: string; why?: string } | undefined;
    expect(after).toMatchObject({ proposalId: first.id, dismissedBy: "ops@example.com" });
    expect(after?.why).toMatch(/rose from 300 to 600/);

    await run();
    expect((await openSplits()).map((p) => p.id)).toEqual([back!.id]);
    const applied = await markAnalyzerProposalApplied(c.db, back!.id, { actor: "ops@example.com" });
    expect(applied.status).toBe("applied");
  });
});

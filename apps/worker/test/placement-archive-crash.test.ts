import { listOperations, listShardlets, type ShardletInfo } from "@shardcast/db";
import { readPlacementState } from "@shardcast/runtime";
import { describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { archiveLedger, archiveWritersWaiting, expectLedgerBalanced, holdRow, payloadBytes, readBackProblems, terminateBackend } from "./archive-ledger.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { twoMinutesOn, usePlacementHarness } from "./placement-harness.ts";

/**
 * A placement run whose host connection drops in the middle of an archive (the backend writing the
 * second batch of a shardlet is terminated while it waits on a row): what was committed stays
 * archived and readable, what was not stays whole, the failure is that shardlet's, and the runs
 * after the backoff finish the archive with every event archived once, the batches counting each
 * archived row once, and every event read back whole through the edge.
 */
const harness = usePlacementHarness({ readCache: { maxBytes: 0, prefetchBytesPerSec: 0 } });
const HOUR = 60 * 60_000;

describe("placement.run when the host connection drops mid-archive", () => {
  it("keeps what was committed, loses nothing, and a later run finishes the archive once", async () => {
    const h = harness();
    const shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    const [big, small] = shardlets as [ShardletInfo, ShardletInfo];
    for (let i = 0; i < 1_200; i += 200) await h.produce(Array.from({ length: 200 }, () => ({ key: h.keyIn(big.lo, big.hi), id: h.nextId() })));
    await h.produce(Array.from({ length: 100 }, () => ({ key: h.keyIn(small.lo, small.hi), id: h.nextId() })));
    const driver = await h.driver(big.hostId);
    const bytesBySeq = await payloadBytes(driver, h.streamId);
    const bigSeqs = [...h.acked.values()].filter((a) => a.shardletId === big.id).map((a) => a.seq).sort((a, b) => a - b);
    const ctx = { redis: h.redis, prefix: h.prefix };

    // The second batch (events 501-1000) reaches a locked row; its backend is terminated there.
    const lock = await holdRow(driver, h.streamId, bigSeqs[700]!);
    const run = runPlacement(twoMinutesOn(h), ctx);
    try {
      const [pid] = await Promise.race([archiveWritersWaiting(driver, 1), run.then(() => [] as number[])]);
      expect(pid).toBeDefined();
      await terminateBackend(driver, pid!);
    } finally {
      await lock.release();
    }
    expect(await run).toMatchObject({ archived: 2 });
    const failed = (await listOperations(h.db, { kind: "placement.archive", limit: 10 })).filter((o) => o.status === "failed");
    expect(failed.map((o) => o.shardletId)).toEqual([big.id]);
    let archived = await driver.archivedInRanges(h.streamId, [big, small]);
    expect(archived.map((a) => a.events)).toEqual([500, 100]);
    expectLedgerBalanced(await archiveLedger(driver, h.streamId, bytesBySeq));
    expect(await readBackProblems(h, shardlets)).toEqual([]);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);

    // Past the failure's backoff, the runs go on from the committed batch (the bandit may leave it a run).
    for (let i = 1; i <= 5 && archived[0]!.events < 1_200; i++) {
      await runPlacement({ ...h.deps, clock: () => Date.now() + 2 * HOUR + i * 120_000 }, ctx);
      archived = await driver.archivedInRanges(h.streamId, [big, small]);
    }
    expect(archived.map((a) => a.events)).toEqual([1_200, 100]);
    const ledger = await archiveLedger(driver, h.streamId, bytesBySeq);
    expect(ledger.archivedRows).toBe(1_300);
    expectLedgerBalanced(ledger);
    expect(await readBackProblems(h, shardlets)).toEqual([]);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
    // The run's own accounting agrees with the host's once it measured it.
    await runPlacement({ ...h.deps, clock: () => Date.now() + 3 * HOUR }, ctx);
    const state = await readPlacementState(h.redis, h.prefix, 0.5);
    expect(state.archived[big.id]).toEqual({ events: 1_200, bytes: archived[0]!.bytes });
    expect(state.archived[small.id]).toEqual({ events: 100, bytes: archived[1]!.bytes });
    // The operations log accounts for every archived event once, the failed run's batch included.
    const ops = (await listOperations(h.db, { kind: "placement.archive", limit: 20 })).filter((o) => o.shardletId === big.id);
    expect(ops.find((o) => o.status === "failed")?.message).toMatch(/failed after archiving 500 events: storage host unavailable/);
    expect(ops.reduce((n, o) => n + Number((o.details as { events?: number } | null)?.events ?? 0), 0)).toBe(1_200);
  });
});

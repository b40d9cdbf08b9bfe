import { listShardlets, type ShardletInfo } from "@shardcast/db";
import { beforeAll, describe, expect, it } from "vitest";
import { archiveRange } from "../src/placement/archive.ts";
import { archiveLedger, archiveWritersWaiting, expectLedgerBalanced, holdRow, payloadBytes, readBackProblems } from "./archive-ledger.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { usePlacementHarness } from "./placement-harness.ts";

/**
 * Two placement runs can archive the same shardlet at once (a stalled job taken over by another
 * worker, an operator's run next to the scheduled one), each from its own measurement. Both read
 * the same oldest rows; only one may archive each row, and each batch must hold exactly the
 * payloads of the rows that reference it, or the host's archive totals and the runs' reports count
 * events and bytes twice. A row lock held on one row of the first chunk makes both runs' writes
 * meet there.
 */
const harness = usePlacementHarness({ readCache: { maxBytes: 0, prefetchBytesPerSec: 0 } });
const PER_SHARDLET = 1_200;
let shardlets: ShardletInfo[];
let bytesBySeq: Map<number, number>;

beforeAll(async () => {
  const h = harness();
  shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
  for (const s of shardlets) {
    for (let i = 0; i < PER_SHARDLET; i += 200) await h.produce(Array.from({ length: 200 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
  }
  bytesBySeq = await payloadBytes(await h.driver(shardlets[0]!.hostId), h.streamId);
}, 60_000);

/** Positions of a shardlet's acknowledged events, in order. */
const seqsOf = (s: ShardletInfo): number[] =>
  [...harness().acked.values()]
    .filter((a) => a.shardletId === s.id)
    .map((a) => a.seq)
    .sort((a, b) => a - b);

async function race(s: ShardletInfo, upTo: [number | undefined, number | undefined]) {
  const h = harness();
  const driver = await h.driver(s.hostId);
  const range = { streamId: h.streamId, lo: s.lo, hi: s.hi };
  const lock = await holdRow(driver, h.streamId, seqsOf(s)[10]!);
  const run = (upToSeq: number | undefined) => archiveRange(driver, range, { storedBefore: Date.now() + 60_000, maxChunks: 10, ...(upToSeq !== undefined ? { upToSeq } : {}) });
  // The first run queues on the lock before the second starts, so it writes first once released.
  const first = run(upTo[0]);
  const queued = Promise.race([archiveWritersWaiting(driver, 1), first]).then(() => {
    const second = run(upTo[1]);
    return { second, waiting: Promise.race([archiveWritersWaiting(driver, 2), second]) };
  });
  const both = queued.then(({ second }) => Promise.all([first, second]));
  // A run that fails before it waits must fail the test, not leave it waiting for the other writer.
  await Promise.race([queued.then((q) => q.waiting), both]).finally(() => lock.release());
  return { driver, results: await both };
}

describe("two archives of one shardlet at once", () => {
  it("archive each row once and report each row's bytes once", async () => {
    const h = harness();
    const s = shardlets[0]!;
    const { driver, results } = await race(s, [undefined, undefined]);
    const ledger = await archiveLedger(driver, h.streamId, bytesBySeq);
    expect(ledger.archivedRows).toBe(PER_SHARDLET);
    expectLedgerBalanced(ledger);
    expect(results.map((r) => r.complete)).toEqual([true, true]);
    expect(results[0].events + results[1].events).toBe(PER_SHARDLET);
    expect(results[0].rawBytes + results[1].rawBytes).toBe(ledger.archivedRawBytes);
    expect((await driver.archivedInRanges(h.streamId, [s]))[0]!.events).toBe(PER_SHARDLET);
    expect(await readBackProblems(h, shardlets)).toEqual([]);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
  });

  it("keep a batch to its own rows when the runs' bounds differ", async () => {
    const h = harness();
    const s = shardlets[1]!;
    // The run that writes first measured earlier and stops at the 300th event; the other read a
    // whole chunk of 500 before that write, 300 of them archived by the time it writes.
    const { driver, results } = await race(s, [seqsOf(s)[299]!, undefined]);
    const ledger = await archiveLedger(driver, h.streamId, bytesBySeq);
    expect(ledger.archivedRows).toBe(2 * PER_SHARDLET);
    expectLedgerBalanced(ledger);
    const archivedHere = (await driver.archivedInRanges(h.streamId, [s]))[0]!;
    expect(archivedHere.events).toBe(PER_SHARDLET);
    expect(results[0].events + results[1].events).toBe(PER_SHARDLET);
    const first = ledger.archivedRawBytes - [...bytesBySeq].filter(([seq]) => seqsOf(shardlets[0]!).includes(seq)).reduce((n, [, b]) => n + b, 0);
    expect(results[0].rawBytes + results[1].rawBytes).toBe(first);
    expect(await readBackProblems(h, shardlets)).toEqual([]);
    expect(exactlyOnceProblems(await h.check())).toEqual([]);
  });
});

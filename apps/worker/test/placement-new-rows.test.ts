import { listOperations, listShardlets } from "@shardcast/db";
import { describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { twoMinutesOn, usePlacementHarness } from "./placement-harness.ts";

/**
 * Rows can be stored after rows with higher positions (an overflow drain, a migration's copy), so
 * the binary search of archiveCutSeq may return a cut above rows that are still too new; its
 * comment says callers filter on the storage time. archivableBytes does not: a shardlet whose
 * rows are all too new is counted as archivable, and every run decides to archive it and archives
 * nothing ("archived 0 events"), until its rows come of age.
 */
const harness = usePlacementHarness();

describe("placement.run and rows stored late", () => {
  it("does not decide to archive a shardlet whose rows are all too new", async () => {
    const h = harness();
    const [a, b] = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    await h.produce(Array.from({ length: 100 }, () => ({ key: h.keyIn(a!.lo, a!.hi), id: h.nextId() })));
    await h.produce(Array.from({ length: 20 }, () => ({ key: h.keyIn(b!.lo, b!.hi), id: h.nextId() })));
    await h.produce(Array.from({ length: 180 }, () => ({ key: h.keyIn(a!.lo, a!.hi), id: h.nextId() })));
    const driver = await h.driver(b!.hostId);
    // b's rows were stored just now as far as the run is concerned (as a drain or a copy stores them).
    await driver.withClient((c) =>
      c.query("UPDATE sc_events SET stored_at = now() + interval '1 hour' WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3", [h.streamId, b!.lo, b!.hi]),
    );
    const later = twoMinutesOn(h);
    const result = await runPlacement(later, { redis: h.redis, prefix: h.prefix });
    expect((await driver.archivedInRanges(h.streamId, [a!, b!])).map((x) => x.events)).toEqual([280, 0]);
    const ops = await listOperations(h.db, { kind: "placement.archive", limit: 10 });
    expect(ops.map((o) => o.message).filter((m) => /archived 0 events/.test(m ?? ""))).toEqual([]);
    expect(result.archived).toBe(1);
  });
});

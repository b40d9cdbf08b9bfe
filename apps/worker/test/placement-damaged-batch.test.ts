import { listOperations, listShardlets } from "@shardcast/db";
import { describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { twoMinutesOn, usePlacementHarness } from "./placement-harness.ts";

/**
 * A batch that fails its checksum on restore is an error and its rows stay archived (docs/cold-
 * archive.md). It must stay that shardlet's problem: the run goes on with the other shardlets
 * (restoring what a consumer group needs there) and saves what it learnt, instead of failing as a
 * whole at the same shardlet every minute.
 */
const harness = usePlacementHarness();

describe("placement.run with a damaged batch", () => {
  it("restores the other shardlets a consumer group needs", async () => {
    const h = harness();
    const shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    expect(shardlets).toHaveLength(2);
    for (const s of shardlets) await h.produce(Array.from({ length: 100 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
    const later = twoMinutesOn(h);
    const ctx = { redis: h.redis, prefix: h.prefix };
    expect(await runPlacement(later, ctx)).toMatchObject({ archived: 2 });
    const driver = await h.driver(shardlets[0]!.hostId);
    expect((await driver.archivedInRanges(h.streamId, shardlets)).map((a) => a.events)).toEqual([100, 100]);

    // One row of the first shardlet no longer matches its batch.
    const first = shardlets[0]!;
    await driver.withClient((c) =>
      c.query(
        `UPDATE sc_events SET payload_md5 = md5('damaged')::uuid
         WHERE stream_id = $1 AND seq = (SELECT min(seq) FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3)`,
        [h.streamId, first.lo, first.hi],
      ),
    );
    // A consumer group joins at position 0: both shardlets are to be restored.
    const join = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/groups/late/members`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "m1" }),
    });
    expect(join.status).toBe(201);

    await runPlacement(later, ctx);
    const after = await driver.archivedInRanges(h.streamId, shardlets);
    // The second shardlet is restored whole; the first keeps (at least) its damaged batch archived.
    expect(after[1]!.events).toBe(0);
    expect(after[0]!.events).toBeGreaterThan(0);
    // The failure is the first shardlet's: recorded, and that shardlet is left alone for a while.
    const failed = (await listOperations(h.db, { kind: "placement.restore", limit: 10 })).filter((o) => o.status === "failed");
    expect(failed.map((o) => o.shardletId)).toEqual([first.id]);
    expect(failed[0]!.message).toMatch(/do not match their rows' checksums.*left alone for 60 min/);
    expect(await runPlacement(later, ctx)).toMatchObject({ restored: 0 });
    expect((await listOperations(h.db, { kind: "placement.restore", limit: 10 })).filter((o) => o.status === "failed")).toHaveLength(1);
  });
});

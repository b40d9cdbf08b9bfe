import { PLACEMENT_SETTINGS_KEY, TELEMETRY_RESOLUTIONS } from "@shardcast/core";
import { listOperations, listShardlets, updateSetting } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { readPlacementState } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READ_MOVE_SETTLE_MS } from "../src/placement/move.ts";
import { runPlacement } from "../src/placement/run.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { runTelemetryRollup } from "../src/processors/telemetry-rollup.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { readShardlet, startReplicaHarness } from "./replica-harness.ts";

/**
 * The placement bandit's move arm against a real edge, two PostgreSQL hosts and Redis: host 1
 * holds both shardlets and serves every read, the hot one most of them; host 2 serves none. The
 * run moves the hot shardlet to host 2 through the ordinary migration when host 2's write load
 * stays under the rebalancer's ceiling, and not when it would pass it; after the move every
 * acknowledged event is still there, and a later run rewards the move.
 */

let t: MigrationHarness;

const readAll = async (shardletId: string) => (await readShardlet(t, shardletId, undefined, 100)).events;
const BUCKET_MS = TELEMETRY_RESOLUTIONS[0] * 1000;

beforeAll(async () => {
  ({ t } = await startReplicaHarness());
  // Replicas off: for the hot shardlet the bandit chooses between move and leave only.
  await updateSetting(t.h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 86_400, replicaMinReadsPerSec: 1, maxReplicas: 0, maxPins: 0, maxReadMovesPerRun: 1, readMoveImbalance: 0.5 }, null);
  await t.h.db.host.updateMany({ data: { capacityEventsPerSec: 1_000 } });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("placement.run move arm", () => {
  it("moves a hot shardlet off the host serving the reads only while the destination's writes stay under the rebalancer's ceiling", async () => {
    const [a, b0] = (await listShardlets(t.h.db, { streamId: t.h.streamId })).filter((s) => s.state === "active");
    // Both shardlets on host 1 (an operator's move first): the hot one is not all of its host's reads.
    if (b0!.hostId !== a!.hostId) expect((await t.runToEnd(await t.approve(b0!.id, a!.hostId))).at(-1)).toMatchObject({ phase: "done" });
    const b = (await listShardlets(t.h.db, { streamId: t.h.streamId })).find((s) => s.id === b0!.id);
    expect(b!.hostId).toBe(a!.hostId);
    const source = a!.hostId;
    const dest = t.h.hostIds.find((id) => id !== source)!;
    await t.write(a!, 300, { inRangeShare: 1 });
    await t.write(b!, 100, { inRangeShare: 1 });
    const before = await readAll(a!.id);
    // a: four reads of all its events, b: one; host 1 serves everything, host 2 nothing.
    for (let i = 0; i < 3; i++) await readAll(a!.id);
    await readAll(b!.id);
    const ctx = { redis: t.h.redis, prefix: t.h.prefix };
    const telemetry = async () => {
      await t.h.edge.telemetry.flush();
      await runTelemetryRollup(t.h.deps, ctx);
    };
    await telemetry();
    // The rebalancer's figures: 100 events/s in all, so host 2's share is 50 and its ceiling 50 x
    // (1 + 0.2 - 0.1) = 55; a writing 90 would take it past that.
    const writes = async (wa: number, wb: number) => {
      await t.h.db.shardlet.update({ where: { id: a!.id }, data: { writeRate: wa } });
      await t.h.db.shardlet.update({ where: { id: b!.id }, data: { writeRate: wb } });
    };

    await writes(90, 10);
    expect(await runPlacement(t.h.deps, ctx)).toMatchObject({ moved: 0 });
    expect(await t.h.db.migration.count({ where: { origin: "placement" } })).toBe(0);

    await writes(40, 60);
    expect(await runPlacement(t.h.deps, ctx)).toMatchObject({ moved: 1 });
    const [m] = await t.h.db.migration.findMany({ where: { origin: "placement" } });
    expect(m).toMatchObject({ shardletId: a!.id, sourceHostId: source, destHostId: dest, phase: "approved", proposedBy: "placement" });
    const [op] = await listOperations(t.h.db, { kind: "placement.move", limit: 5 });
    expect(op).toMatchObject({ status: "succeeded", shardletId: a!.id });
    expect(op!.message).toMatch(/^move: read at .* events\/s, its host serves .* reads\/s, \d+% above the mean/);
    let state = await readPlacementState(t.h.redis, t.h.prefix, 0.5);
    const decision = state.recent.find((d) => d.arm === "move")!;
    expect(decision).toMatchObject({ shardletId: a!.id, context: "reads:hot groups:none", reward: null });
    expect(state.moves[m!.id]).toMatchObject({ shardletId: a!.id, destHostId: dest });
    expect(state.moveCooldown[a!.id]).toBeGreaterThan(Date.now());

    // The arm's cool-down and the open migration keep it from moving anything again meanwhile.
    expect(await runPlacement(t.h.deps, ctx)).toMatchObject({ moved: 0 });

    const results = await t.runToEnd(m!.id);
    expect(results.at(-1)).toMatchObject({ status: "done", phase: "done" });
    expect(await t.route(a!.id)).toMatchObject({ hostId: dest });
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    const expected = t.expected(a!);
    expect(expected.rows).toBe(300);
    expect(await t.onHost(dest, a!)).toEqual(expected);
    expect((await t.onHost(source, a!)).rows).toBe(0);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
    await t.h.edge.routing.refreshById(t.h.streamId, "pubsub");

    // Reads in a telemetry bucket that starts after the switch: a reads on host 2, b on host 1.
    const finished = (await t.migration(m!.id)).finishedAt!.getTime();
    await waitFor("a telemetry bucket after the switch", () => Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS > finished, 2 * BUCKET_MS);
    await readAll(a!.id);
    await readAll(b!.id);
    await telemetry();
    const later = { ...t.h.deps, clock: () => Date.now() + READ_MOVE_SETTLE_MS };
    expect(await runPlacement(later, ctx)).toMatchObject({ moved: 0 });
    state = await readPlacementState(t.h.redis, t.h.prefix, 0.5);
    expect(state.moves).toEqual({});
    const v = state.bandit.values("reads:hot groups:none").move;
    expect(v.pulls).toBe(1);
    // The pair's excess fell from 1 (all reads on host 1) to 300/200 - 1 = 0.5; 300 events read for 300 copied.
    expect(v.mean).toBeCloseTo(0.5 * 0.5, 5);
    expect(state.recent.find((d) => d.arm === "move")!.reward).toBeCloseTo(v.mean, 5);
    // Through the edge, on the new route: every event, as before the move.
    expect(await readAll(a!.id)).toEqual(before);
  });
});

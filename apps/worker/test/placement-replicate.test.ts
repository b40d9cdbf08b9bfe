import { PLACEMENT_SETTINGS_KEY } from "@shardcast/core";
import { listOperations, listReplicas, listShardlets, updateSetting } from "@shardcast/db";
import { readPlacementState, readReplicaServed } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { runTelemetryRollup } from "../src/processors/telemetry-rollup.ts";
import { syncReplicas } from "../src/replicas/sync.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { readShardlet, startReplicaHarness } from "./replica-harness.ts";

/**
 * The placement bandit's replicate arm against a real edge, two PostgreSQL hosts and Redis: a
 * shardlet that consumers read hard gets a replica on the other host, the replica serves reads
 * (equal to the host's), the bandit is rewarded with what it served, and once the shardlet cools
 * down the replica is dropped with its rows.
 */

let t: MigrationHarness;

const readAll = async (shardletId: string) => (await readShardlet(t, shardletId, undefined, 100)).events;

beforeAll(async () => {
  ({ t } = await startReplicaHarness());
  // Nothing is old enough to archive: this run is about replicas only.
  await updateSetting(t.h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 86_400, replicaMinReadsPerSec: 1, maxReplicas: 4 }, null);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("placement.run replicate arm", () => {
  it("replicates a hot shardlet, rewards what the replica served, and drops it when the shardlet cools down", async () => {
    const [a, b] = (await listShardlets(t.h.db, { streamId: t.h.streamId })).filter((s) => s.state === "active");
    await t.write(a!, 300, { inRangeShare: 1 });
    const before = await readAll(a!.id);
    for (let i = 0; i < 3; i++) await readAll(a!.id);
    const ctx = { redis: t.h.redis, prefix: t.h.prefix };
    const telemetry = async () => {
      await t.h.edge.telemetry.flush();
      await runTelemetryRollup(t.h.deps, ctx);
    };
    await telemetry();

    const first = await runPlacement(t.h.deps, ctx);
    expect(first).toMatchObject({ replicated: 1, unreplicated: 0 });
    const [replica] = await listReplicas(t.h.db);
    expect(replica).toMatchObject({ shardletId: a!.id, sourceHostId: a!.hostId, state: "ready" });
    expect(replica!.hostId).not.toBe(a!.hostId);
    expect(await listReplicas(t.h.db, { shardletId: b!.id })).toEqual([]);
    expect((await listOperations(t.h.db, { kind: "placement.replicate", limit: 5 }))[0]!.message).toMatch(/replicate: read at/);

    const synced = await syncReplicas({ ...t.h.deps, watermark: t.h.deps.migration!.watermark! });
    expect(synced).toMatchObject({ advanced: 1, events: 300 });
    await t.h.edge.routing.refreshById(t.h.streamId, "pubsub");
    for (let i = 0; i < 3; i++) expect(await readAll(a!.id)).toEqual(before);
    await t.h.edge.replicaServed.flush();
    const served = (await readReplicaServed(t.h.redis, t.h.prefix)).get(replica!.id) ?? 0;
    expect(served).toBeGreaterThan(0);

    // The next run rewards the replica with what it served per event copied.
    await telemetry();
    expect(await runPlacement(t.h.deps, ctx)).toMatchObject({ unreplicated: 0 });
    const state = await readPlacementState(t.h.redis, t.h.prefix, 0.5);
    const v = state.bandit.values("reads:hot groups:none").replicate;
    expect(v.pulls).toBe(1);
    expect(v.mean).toBeCloseTo(served / (served + 300), 5);
    expect(state.recent.find((d) => d.arm === "replicate")!.reward).toBeCloseTo(v.mean, 5);

    // Cooled down (the bar is raised far above its reads): the replica and its rows go.
    await updateSetting(t.h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 86_400, replicaMinReadsPerSec: 1e6, maxReplicas: 4 }, null);
    expect(await runPlacement(t.h.deps, ctx)).toMatchObject({ unreplicated: 1, replicated: 0 });
    expect(await listReplicas(t.h.db)).toEqual([]);
    const target = await t.h.driver(replica!.hostId);
    const left = await target.withClient((c) => c.query<{ n: string }>("SELECT count(*) AS n FROM sc_replica_events WHERE replica_id = $1", [replica!.id]));
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect(await readAll(a!.id)).toEqual(before);
    expect((await listOperations(t.h.db, { kind: "placement.unreplicate", limit: 5 }))[0]!.message).toMatch(/under half/);
  });
});

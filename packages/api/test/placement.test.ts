import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlacementBandit, PLACEMENT_SETTINGS_KEY } from "@shardcast/core";
import { createStream, listShardlets, type ShardletInfo } from "@shardcast/db";
import { createLogger, writePlacementState } from "@shardcast/runtime";
import { placementView } from "../src/services/placement-views.ts";
import { seedEvents } from "./events.ts";
import { startHarness, type Harness } from "./harness.ts";
import { expectAdminOnlySettings } from "./settings-procedures.ts";

let h: Harness;
let viewer: string;
let operator: string;
let admin: string;
const streams: Record<string, string> = {};
let cold: ShardletInfo[] = [];

beforeAll(async () => {
  h = await startHarness();
  [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  for (const name of ["cold", "warm"]) streams[name] = (await createStream(h.db, h.hosts, { name, shardCount: 2 })).id;
  const keys = Array.from({ length: 80 }, (_, i) => `customer-${i}`);
  await seedEvents(h, streams.cold!, keys);
  await seedEvents(h, streams.warm!, keys);
  // What placement.run's archive step does, batch by batch: every payload stored so far is old enough.
  cold = await listShardlets(h.db, { streamId: streams.cold! });
  for (const s of cold) {
    const driver = await h.hosts.get(s.hostId);
    await driver.archiveChunk({ streamId: s.streamId, lo: s.lo, hi: s.hi, storedBefore: Date.now() + 60_000, limit: 500 });
  }
});
afterAll(async () => {
  await h?.close();
});

interface View {
  stream: { name: string } | null;
  settings: { enabled: boolean; archiveAfterSec: number; minArchiveBytes: number; leaveReward: number };
  lastRunAt: Date | null;
  stateError: string | null;
  pending: number;
  contexts: Array<{ context: string; arms: Array<{ arm: string; pulls: number; mean: number; ucb: number | null; available: boolean }> }>;
  decisions: Array<{ streamName: string | null; shardletId: string; range: { lo: number; hi: number } | null; arm: string; reward: number | null; rewardState: string }>;
  archived: Array<{ streamName: string; shardletId: string; hostName: string; events: number; bytes: number; maxSeq: number | null }>;
  archivedShardlets: number;
  archivedEvents: number;
  totals: Array<{ streamName: string; batches: number; rawBytes: number; storedBytes: number; complete: boolean }>;
  unreachable: Array<{ hostName: string; message: string }>;
}

const CONTEXT = "reads:none groups:none";

async function seedJobState(prefix: string, at: number): Promise<void> {
  const bandit = new PlacementBandit({ exploration: 0.5 });
  bandit.reward(CONTEXT, "archive", 0.8);
  bandit.reward(CONTEXT, "leave", 0.33);
  const [a, b] = cold;
  const decision = (shardletId: string, streamId: string, arm: string, reward: number | null, t = at) => ({ at: t, streamId, shardletId, arm, context: CONTEXT, reason: `${arm} because`, reward });
  await writePlacementState(h.redis, prefix, {
    lastRunAt: at,
    archived: {},
    backoff: {},
    replicas: {},
    pins: {},
    cacheSeen: {},
    moves: { "mig-1": { shardletId: a!.id, streamId: streams.cold!, context: CONTEXT, at: at - 30_000, sourceHostId: "h-1", destHostId: "h-2", excessBefore: 1 } },
    moveCooldown: {},
    bandit,
    pending: [{ shardletId: b!.id, context: CONTEXT, rawBytes: 1000, storedBytes: 200, at }],
    recent: [
      decision(b!.id, streams.cold!, "archive", null),
      decision("s-warm", streams.warm!, "leave", null),
      decision(a!.id, streams.cold!, "move", null, at - 30_000),
      decision(a!.id, streams.cold!, "archive", 0.8, at - 60_000),
      decision(b!.id, streams.cold!, "move", null, at - 90_000),
      decision("s-gone", streams.cold!, "archive", null, at - 120_000),
    ],
  });
}

describe("cache.placement", () => {
  it("shows the archive each host holds, the bandit's arm values and the latest decisions of a stream", async () => {
    const prefix = h.freshPrefix("placement");
    const at = Date.now() - 5_000;
    await seedJobState(prefix, at);
    const res = await h.call<View>("query", "cache.placement", { stream: "cold" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d.stream!.name).toBe("cold");
    expect(d.lastRunAt!.getTime()).toBe(at);
    expect(d.stateError).toBeNull();
    expect(d.pending).toBe(1);

    expect(d.contexts.map((c) => c.context)).toEqual([CONTEXT]);
    const arms = new Map(d.contexts[0]!.arms.map((x) => [x.arm, x]));
    expect([...arms.keys()]).toEqual(["replicate", "cache-pin", "move", "archive", "leave"]);
    expect([...arms.values()].filter((x) => x.available).map((x) => x.arm)).toEqual(["replicate", "cache-pin", "move", "archive", "leave"]);
    expect(arms.get("archive")).toMatchObject({ pulls: 1, mean: 0.8 });
    expect(arms.get("archive")!.ucb).toBeGreaterThan(0.8);
    expect(arms.get("move")).toMatchObject({ pulls: 0, ucb: null, available: true });

    // The other stream's decision is left out; an archive without a reward is pending only while
    // the job still waits to measure it.
    expect(d.decisions.map((x) => [x.streamName, x.arm, x.reward, x.rewardState])).toEqual([
      ["cold", "archive", null, "pending"],
      ["cold", "move", null, "pending"],
      ["cold", "archive", 0.8, "measured"],
      ["cold", "move", null, "unmeasured"],
      ["cold", "archive", null, "unmeasured"],
    ]);
    expect(d.decisions[0]!.range).toEqual({ lo: cold[1]!.lo, hi: cold[1]!.hi });
    expect(d.decisions[4]!.range).toBeNull();

    // 80 keys over the stream's shardlets, every one archived, each on its own host's archive.
    expect(d.archived.reduce((n, x) => n + x.events, 0)).toBe(80);
    expect(d.archivedShardlets).toBe(cold.length);
    expect(d.archivedEvents).toBe(80);
    expect(new Set(d.archived.map((x) => x.hostName))).toEqual(new Set(["h1", "h2"]));
    for (const x of d.archived) {
      expect(x.streamName).toBe("cold");
      expect(x.bytes).toBeGreaterThan(0);
      expect(x.maxSeq).toBeGreaterThan(0);
    }
    expect(d.totals).toHaveLength(1);
    expect(d.totals[0]).toMatchObject({ streamName: "cold", batches: cold.length, complete: true });
    expect(d.totals[0]!.rawBytes).toBeGreaterThan(0);
    expect(d.totals[0]!.storedBytes).toBeGreaterThan(0);
    expect(d.unreachable).toEqual([]);

    // Every stream when none is named: the warm one has nothing archived, so no totals.
    const all = await h.call<View>("query", "cache.placement", {}, viewer, { redisPrefix: prefix });
    expect(all.data!.stream).toBeNull();
    expect(all.data!.decisions.map((x) => x.streamName)).toEqual(["cold", "warm", "cold", "cold", "cold", "cold"]);
    expect(all.data!.decisions[1]!.rewardState).toBe("none");
    expect(all.data!.totals.map((t) => t.streamName)).toEqual(["cold"]);
  });

  it("answers before the job's first run, 401s without a session and 404s an unknown stream", async () => {
    const prefix = h.freshPrefix("placement");
    const res = await h.call<View>("query", "cache.placement", { stream: "warm" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ lastRunAt: null, stateError: null, pending: 0, contexts: [], decisions: [], archived: [], archivedShardlets: 0, archivedEvents: 0, totals: [], unreachable: [] });
    expect(res.data!.settings).toMatchObject({ enabled: true, archiveAfterSec: 21_600, minArchiveBytes: 1_048_576, leaveReward: 0.33 });
    expect((await h.call("query", "cache.placement", {}, null, { redisPrefix: prefix })).status).toBe(401);
    const unknown = await h.call("query", "cache.placement", { stream: "nope" }, viewer, { redisPrefix: prefix });
    expect(unknown.status).toBe(404);
    expect(unknown.error!.data.scCode).toBe("not_found");
  });

  it("reports a host that does not answer and keeps what the others hold", async () => {
    const [up, down] = cold;
    const failing = { get: (hostId: string) => (hostId === down!.hostId ? Promise.reject(new Error("connect ECONNREFUSED postgres://postgres:secret-pw@10.0.0.9/h")) : h.hosts.get(hostId)) };
    const log = createLogger({ app: "placement-test" }, { level: "error", write: () => undefined });
    const d = await placementView({ db: h.db, hosts: failing, redis: h.redis, prefix: h.freshPrefix("placement"), log }, { stream: "cold", nowMs: Date.now() });
    expect(d.unreachable.map((u) => u.hostId)).toEqual([down!.hostId]);
    expect(d.unreachable[0]!.message).not.toContain("secret-pw");
    expect(d.archived.map((x) => x.shardletId)).toEqual([up!.id]);
    expect(d.totals).toMatchObject([{ streamName: "cold", batches: 1, complete: false }]);
  });

  it("shows an unreadable job state as a note, not a failure", async () => {
    const prefix = h.freshPrefix("placement");
    await h.redis.set(`${prefix}:placement:state`, "{not json");
    const res = await h.call<View>("query", "cache.placement", { stream: "cold" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data!.stateError).toMatch(/could not be read/);
    expect(res.data!.archivedShardlets).toBe(cold.length);
  });
});

describe("placement settings", () => {
  it("lets admins change them, validated and audited; viewers and operators only read them", async () => {
    await expectAdminOnlySettings(h, { viewer, operator, admin }, {
      query: "cache.placementSettings",
      mutation: "cache.updatePlacementSettings",
      key: PLACEMENT_SETTINGS_KEY,
      defaults: { enabled: true, archiveAfterSec: 21_600, minArchiveBytes: 1_048_576, leaveReward: 0.33, exploration: 0.5, replicaMinReadsPerSec: 200, readForecastLeadSec: 600, maxReplicas: 8, pinBudgetShare: 0.25, maxPins: 16, maxReadMovesPerRun: 1, readMoveImbalance: 0.5, readMoveCooldownSec: 3_600 },
      change: { field: "leaveReward", to: 0.5 },
      invalid: { field: "leaveReward", to: 2, message: "leaveReward: leave reward must be between 0 and 1" },
      alsoInvalid: { archiveAfterSec: 10 },
      logged: "changed placement settings: leaveReward 0.33 -> 0.5",
    });
    // The view reads the same settings the job does.
    const view = await h.call<View>("query", "cache.placement", {}, viewer, { redisPrefix: h.freshPrefix("placement") });
    expect(view.data!.settings.leaveReward).toBe(0.5);
  });
});

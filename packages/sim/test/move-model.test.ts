import { describe, expect, it } from "vitest";
import { compare, runOf } from "../src/compare.ts";
import type { ClusterConfig } from "../src/cluster.ts";
import { simulate, type PolicyRun } from "../src/engine/simulation.ts";
import { emptyDecision, type Decision, type Policy, type PolicyView } from "../src/engine/types.ts";
import { predictiveWith } from "../src/policies/predictive.ts";
import { small } from "./fixtures.ts";

/**
 * The two move models on a flat load (every key's rate constant), so every byte can be counted:
 * 4 hosts, 32 shardlets, 10-minute ticks, 6 hours of retention (36 ticks), no warm-up.
 */
const TICK_MS = 600_000;
const RETENTION_TICKS = 36;
const flat = (cluster: Partial<ClusterConfig>) =>
  small({ workload: "flat", days: 2, warmupDays: 0, peakUtilisation: 0.5, cluster: { retentionHours: (RETENTION_TICKS * TICK_MS) / 3_600_000, ...cluster } });

interface Seen {
  tick: number;
  /** Host of the watched shardlet, its bytes, and whether a job holds it. */
  host: string | undefined;
  bytes: number;
  busy: boolean;
  /** Stored bytes per host, and the part of them no live shardlet holds (sealed history). */
  stored: Map<string, number>;
  sealed: Map<string, number>;
  serving: string[];
}

/** A policy that does only what `act` says, and records what it sees every tick (after acting). */
function scripted(act: (view: PolicyView, d: Decision) => void, watched: () => string | undefined): Policy & { seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    name: "scripted",
    seen,
    decide(view) {
      const d = emptyDecision();
      act(view, d);
      const id = watched();
      const s = id === undefined ? undefined : view.shardlet(id);
      const stored = new Map(view.capacityHosts().map((h) => [h.id, h.sizeBytes]));
      const sealed = new Map(stored);
      for (const x of view.shardlets) sealed.set(x.hostId, (sealed.get(x.hostId) ?? 0) - x.sizeBytes);
      seen.push({ tick: view.tick, host: s?.hostId, bytes: s?.sizeBytes ?? 0, busy: id !== undefined && view.busy.has(id), stored, sealed, serving: view.hosts.map((h) => h.id) });
      return d;
    },
  };
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Moves the busiest shardlet of h0 to h1 at tick `at`, and nothing else. */
function moveOne(at: number) {
  let id: string | undefined;
  const policy = scripted(
    (view, d) => {
      if (view.tick !== at) return;
      const s = view.shardlets.filter((x) => x.hostId === "h0").sort((a, b) => b.load - a.load)[0]!;
      id = s.id;
      d.moves.push({ shardletId: s.id, destHostId: "h1", reason: "test", source: "rebalancer" });
    },
    () => id,
  );
  return policy;
}

function run(cluster: Partial<ClusterConfig>, policy: Policy): PolicyRun {
  const { workload, config } = flat(cluster);
  return simulate({ workload, config, policy });
}

describe("hand-off moves", () => {
  const AT = 12;

  it("move the load within the tick they start in and copy nothing", () => {
    const policy = moveOne(AT);
    const r = run({ moveModel: "handoff" }, policy);
    const before = policy.seen[AT]!;
    const after = policy.seen[AT + 1]!;
    expect(before.host).toBe("h0");
    expect(after.host).toBe("h1");
    expect(after.busy).toBe(false);
    expect(r.metrics.bytesMoved).toBe(0);
    expect(r.metrics.migrations).toBe(1);
    expect(r.actions).toEqual([expect.objectContaining({ kind: "move", hostId: "h0", destHostId: "h1", bytes: 0 })]);
    // The load left h0 in the tick of the hand-off: 5 s of a 10-minute tick still on h0 (utilisation is kept in float32).
    const n = r.hostIds.length;
    const rate = (r.util[(AT - 1) * n]! - r.util[(AT + 1) * n]!) * 10_000;
    expect(rate).toBeGreaterThan(0);
    expect(r.util[AT * n]!).toBeCloseTo(r.util[(AT - 1) * n]! - (rate / 10_000) * (1 - 5_000 / TICK_MS), 6);
    expect(r.util[(AT + 1) * n + 1]! - r.util[(AT - 1) * n + 1]!).toBeCloseTo(rate / 10_000, 6);
  });

  it("leave the history sealed on the source until retention drops it, and lose no byte", () => {
    const policy = moveOne(AT);
    const { config } = flat({ moveModel: "handoff" });
    run({ moveModel: "handoff" }, policy);
    const seen = policy.seen;
    const sizeAtMove = seen[AT]!.bytes;
    expect(sizeAtMove).toBeGreaterThan(0);
    // The successor starts empty and grows by its writes; its old events stay on h0.
    const perTick = seen[AT + 2]!.bytes - seen[AT + 1]!.bytes;
    expect(seen[AT + 1]!.bytes).toBeCloseTo(perTick, 3);
    expect(perTick * RETENTION_TICKS).toBeCloseTo(sizeAtMove, 3);
    for (let k = 1; k < RETENTION_TICKS; k++) {
      // Sealed history ages one tick of writes per tick, and nothing of it reaches h1.
      expect(seen[AT + k]!.sealed.get("h0")!, `tick ${AT + k}`).toBeCloseTo(sizeAtMove - k * perTick, 0);
      expect(seen[AT + k]!.sealed.get("h1")!).toBeCloseTo(0, 0);
    }
    expect(seen[AT + RETENTION_TICKS + 1]!.sealed.get("h0")!).toBeCloseTo(0, 0);
    // A flat load in steady state stores the same bytes at every tick, wherever they are.
    const stored = seen.map((x) => total(x.stored));
    for (const s of stored) expect(s / stored[0]!).toBeCloseTo(1, 9);
    expect(stored[0]!).toBeCloseTo(20_000 * config.cluster.eventBytes * RETENTION_TICKS * 600, -6);
  });

  it("retire a drained host only once its sealed history is copied off", () => {
    const DRAIN = 12;
    const policy = scripted(
      (view, d) => {
        if (view.tick === DRAIN) d.drainHosts.push("h3");
      },
      () => undefined,
    );
    const cluster = { moveModel: "handoff" as const, migrationBytesPerSec: 4 * 1024 * 1024 };
    const r = run(cluster, policy);
    const seen = policy.seen;
    const held = seen[DRAIN]!.stored.get("h3")!;
    // Every shardlet handed off within the drain's tick: all h3 stores then is sealed history.
    expect(seen[DRAIN + 1]!.sealed.get("h3")!).toBeCloseTo(seen[DRAIN + 1]!.stored.get("h3")!, 0);
    expect(seen[DRAIN + 1]!.stored.get("h3")!).toBeGreaterThan(0.9 * held);
    const removed = r.hostEvents.find((e) => e.kind === "removed" && e.hostId === "h3");
    expect(removed).toBeDefined();
    // Two copies at a time at the copy budget: no sooner than its bytes take at that rate.
    const ticks = (removed!.t - DRAIN * TICK_MS) / TICK_MS;
    expect(ticks * TICK_MS).toBeGreaterThanOrEqual((0.9 * held * 1000) / (2 * cluster.migrationBytesPerSec));
    expect(ticks).toBeLessThan(RETENTION_TICKS);
    // What was copied is what h3 held, less what expired before each copy started.
    expect(r.metrics.historyBytesMoved).toBe(r.metrics.bytesMoved);
    expect(r.metrics.historyBytesMoved).toBeGreaterThan(held * (1 - (ticks + 1) / RETENTION_TICKS));
    expect(r.metrics.historyBytesMoved).toBeLessThanOrEqual(held);
    // No byte lost on the way: what h3 held is on the others.
    const stored = seen.map((x) => total(x.stored));
    for (const s of stored) expect(s / stored[0]!).toBeCloseTo(1, 9);
    expect(seen[seen.length - 1]!.serving).not.toContain("h3");
  });
});

describe("hand-off runs", () => {
  it("repeat exactly for a seed, and their moves copy nothing", () => {
    const once = () => {
      const { workload, config } = small({ workload: "zipf-drift", days: 4, warmupDays: 1, cluster: { moveModel: "handoff" } });
      return compare(workload, config, { policies: ["reactive", "predictive"] });
    };
    const a = once();
    const b = once();
    for (const name of ["reactive", "predictive"]) {
      expect(runOf(b, name).metrics).toEqual(runOf(a, name).metrics);
      expect(runOf(b, name).actions).toEqual(runOf(a, name).actions);
      const moves = runOf(a, name).actions.filter((x) => x.kind === "move");
      expect(moves.length, `${name} moved`).toBeGreaterThan(0);
      for (const m of moves) expect(m.bytes).toBe(0);
    }
  }, 120_000);
});

describe("copy moves", () => {
  it("switch the load after the setup, the copy of the shardlet's bytes at the budget and its verification", () => {
    const policy = moveOne(12);
    const cluster = { moveModel: "copy" as const, migrationBytesPerSec: 1024 * 1024 };
    const { config } = flat(cluster);
    const r = run(cluster, policy);
    const bytes = policy.seen[12]!.bytes;
    expect(r.metrics.bytesMoved).toBeCloseTo(bytes, 0);
    const cl = config.cluster;
    const endsAt = 12 * TICK_MS + (cl.migrationSetupSec + bytes / cl.migrationBytesPerSec + bytes / (cl.migrationBytesPerSec * cl.verifySpeedup)) * 1000;
    const first = policy.seen.find((x) => x.host === "h1")!.tick;
    expect(first).toBe(Math.floor(endsAt / TICK_MS) + 1);
    expect(first - 12).toBeGreaterThan(3);
    // The source keeps nothing sealed: its copy is deleted after the switch.
    for (const x of policy.seen) expect(total(x.sealed)).toBeCloseTo(0, 0);
  });
});

describe("the two move models on bursty load", () => {
  it("give reactive_tuned no more violation minutes with hand-offs than with copies", () => {
    const setup = (moveModel: ClusterConfig["moveModel"]) =>
      small({ workload: "tenants", days: 7, warmupDays: 3, cluster: { moveModel, migrationBytesPerSec: 1024 * 1024 }, params: { streams: 6, keysPerStream: 128, tenantHosts: 2 } });
    const minutes = (moveModel: ClusterConfig["moveModel"]) => {
      const { workload, config } = setup(moveModel);
      return runOf(compare(workload, config, { policies: ["reactive_tuned"] }), "reactive_tuned").metrics;
    };
    const copy = minutes("copy");
    const handoff = minutes("handoff");
    expect(copy.violationMinutes).toBeGreaterThan(0);
    expect(handoff.violationMinutes).toBeLessThanOrEqual(copy.violationMinutes);
    expect(handoff.bytesMoved - handoff.historyBytesMoved).toBe(0);
  }, 120_000);

  it("time a host's lead with the move in force: provisioning, a hand-off and the margin, or the copy of a share", () => {
    const lead = (moveModel: ClusterConfig["moveModel"]) => {
      const { workload, config } = small({ workload: "diurnal", days: 4, warmupDays: 2, cluster: { moveModel, migrationBytesPerSec: 1024 * 1024 } });
      const policy = predictiveWith(config.policy.forecaster, config.policy.predictiveCapacity);
      simulate({ workload, config, policy });
      return { leadSec: policy.elastic!.last!.leadSec, config };
    };
    const h = lead("handoff");
    const c = lead("copy");
    expect(h.leadSec).toBe(Math.round(h.config.capacity.provisionSec + h.config.cluster.handoffSec + h.config.capacity.marginSec));
    expect(c.leadSec).toBeGreaterThan(h.leadSec + 3600);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStream, listShardlets, type ShardletInfo } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

interface Fields {
  lifecycle: Record<string, number>;
  rebalance: Record<string, number>;
  analyzer: Record<string, number>;
}
interface Metrics {
  violationMinutes: number;
  migrations: number;
  splits: number;
  bytesMoved: number;
  events: number;
  measuredMinutes: number;
  hostHours: number;
}
interface Result {
  source: { kind: string; note: string; buckets: number; shardlets: number; hosts: number; resolutionSec: number };
  fields: Fields;
  policies: Array<{ policy: string; metrics: Metrics }>;
  summary: Record<string, number | null>;
  chart: Array<{ t: number; values: Record<string, number> }>;
  hostsChart: Array<{ t: number; values: Record<string, number>; floor: number }>;
  hostHoursFloor: number;
  incidents: Array<{ policy: string; from: number; to: number; violationMinutes: number; servingAtStart: number; hottestUtil: number }>;
  measuredFrom: number;
}

const MINUTE = 60_000;

describe("what-if console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let shardlets: ShardletInfo[];
  let streamId: string;

  beforeAll(async () => {
    h = await startHarness({ hosts: 2 });
    [viewer, operator] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator")]);
    const stream = await createStream(h.db, h.hosts, { name: "whatif", shardCount: 2, shardletsPerShard: 2 });
    streamId = stream.id;
    shardlets = await listShardlets(h.db, { streamId });
  });
  afterAll(async () => {
    await h.close();
  });

  it("runs on the shipped trace while there is no telemetry, and says so", async () => {
    const d = await h.call<{ fields: Fields; telemetry: unknown }>("query", "whatif.defaults", undefined, viewer);
    expect(d.status).toBe(200);
    expect(d.data!.telemetry).toBeNull();
    expect(d.data!.fields.lifecycle.splitThreshold).toBe(0.8);
    expect(d.data!.fields.rebalance.tolerance).toBe(0.2);

    // A run past its deadline answers 503 (retry), as a loaded machine can make it: retried as a client would.
    const run = () => h.call<Result>("mutation", "whatif.run", { source: "auto" }, operator);
    let res = await run();
    for (let retry = 0; retry < 2 && res.status === 503; retry++) res = await run();
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    const r = res.data!;
    expect(r.source.kind).toBe("trace");
    expect(r.source.note).toMatch(/No telemetry yet/);
    expect(r.source.hosts).toBe(2);
    expect(r.policies.map((p) => p.policy)).toEqual(["static", "static_peak", "reactive", "reactive_tuned", "predictive", "oracle"]);
    const stat = r.policies.find((p) => p.policy === "static")!.metrics;
    expect(stat.migrations + stat.splits).toBe(0);
    expect(stat.events).toBeGreaterThan(0);
    expect(r.chart.length).toBeGreaterThan(50);
    expect(Object.keys(r.chart[0]!.values).sort()).toEqual(["oracle", "predictive", "reactive", "reactive_tuned", "static", "static_peak"]);
    // Every policy is paid for: host-hours are the cost the console compares.
    for (const p of r.policies) expect(p.metrics.hostHours, p.policy).toBeGreaterThan(0);
    // The cost floor: above nothing, and no policy that kept every host under capacity paid less.
    expect(r.hostHoursFloor).toBeGreaterThan(0);
    for (const p of r.policies) if (p.metrics.violationMinutes === 0) expect(p.metrics.hostHours, p.policy).toBeGreaterThanOrEqual(r.hostHoursFloor - 1e-9);
    expect(r.hostHoursFloor).toBeLessThan(r.policies.find((p) => p.policy === "static_peak")!.metrics.hostHours);
    // Its hosts are charted with the policies', at least one host each point.
    expect(r.hostsChart.length).toBe(r.chart.length);
    for (const pt of r.hostsChart) expect(pt.floor).toBeGreaterThanOrEqual(1);
    // Incidents explain the minutes over capacity: at most five per policy, measured, and together
    // no more than the policy's minutes (all of them when all fit; none on a run without any).
    for (const p of r.policies) {
      const own = r.incidents.filter((x) => x.policy === p.policy);
      expect(own.length, p.policy).toBeLessThanOrEqual(5);
      const minutes = own.reduce((a, x) => a + x.violationMinutes, 0);
      expect(minutes, p.policy).toBeLessThanOrEqual(p.metrics.violationMinutes + 1e-6);
      if (own.length < 5) expect(minutes, p.policy).toBeCloseTo(p.metrics.violationMinutes, 3);
      for (const x of own) {
        expect(x.from, p.policy).toBeGreaterThanOrEqual(r.measuredFrom);
        expect(x.to).toBeGreaterThan(x.from);
        expect(x.violationMinutes).toBeGreaterThan(0);
        expect(x.servingAtStart).toBeGreaterThan(0);
      }
    }
  }, 150_000);

  it("lets only operators run, and rejects bad thresholds field by field without storing anything", async () => {
    const denied = await h.call("mutation", "whatif.run", { source: "trace" }, viewer);
    expect(denied.status).toBe(403);

    const bad = await h.call("mutation", "whatif.run", { source: "trace", lifecycle: { mergeThreshold: 0.45 }, rebalance: { tolerance: 0.1, hysteresis: 0.3 } }, operator);
    expect(bad.status).toBe(400);
    const paths = bad.error!.data.details!.rejected!.map((x) => x.path).sort();
    expect(paths).toEqual(["lifecycle.mergeThreshold", "rebalance.hysteresis"]);

    const unknown = await h.call("mutation", "whatif.run", { source: "trace", lifecycle: { splitEverything: 1 } }, operator);
    expect(unknown.status).toBe(400);

    const settings = await h.call<{ lifecycle: { mergeThreshold: number }; updatedAt: Date | null }>("query", "settings.get", undefined, viewer);
    expect(settings.data!.lifecycle.mergeThreshold).toBe(0.2);
    expect(settings.data!.updatedAt).toBeNull();
  });

  it("replays the recorded day with the drafted thresholds", async () => {
    // Two hours of one-minute buckets: one shardlet ramps to 6,000 events/s (over its host's
    // 5,000), the others write 200 events/s each.
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const start = now - 120 * MINUTE;
    const hot = shardlets[0]!;
    let written = 0;
    const rows = shardlets.flatMap((s) =>
      Array.from({ length: 120 }, (_, k) => {
        const rate = s.id === hot.id ? 200 + (5800 * k) / 119 : 200;
        const writes = Math.round(rate * 60);
        written += writes;
        return { resolution: 60, bucketStart: new Date(start + k * MINUTE), shardletId: s.id, streamId, writes: BigInt(writes), bytesWritten: BigInt(writes * 300) };
      }),
    );
    await h.db.telemetryBucket.createMany({ data: rows });

    const d = await h.call<{ telemetry: { resolutionSec: number; from: number; to: number } | null }>("query", "whatif.defaults", undefined, viewer);
    expect(d.data!.telemetry).toEqual({ resolutionSec: 60, from: start, to: now });

    // Two hours of minute buckets are replayed with an analyzer whose series are in minutes (a
    // ten-minute season, half an hour of history): the product's hourly series would see two steps.
    const admin = await h.sessionFor("admin");
    const series = await h.call("mutation", "analyzer.updateSettings", { bucketSec: 60, period: 10, historySteps: 30, horizonSec: 300 }, admin);
    expect(series.status, JSON.stringify(series.error)).toBe(200);
    const res = await h.call<Result>("mutation", "whatif.run", { source: "telemetry", lifecycle: { splitWriteRate: 1500 } }, operator);
    expect(res.status, JSON.stringify(res.error)).toBe(200);
    const r = res.data!;
    expect(r.source.kind).toBe("telemetry");
    expect(r.source.buckets).toBe(120);
    expect(r.source.shardlets).toBe(shardlets.length);
    expect(r.fields.lifecycle.splitWriteRate).toBe(1500);
    const metrics = (p: string) => r.policies.find((x) => x.policy === p)!.metrics;
    // Static leaves the hot shardlet where it is: its host passes capacity in the last stretch.
    expect(metrics("static").violationMinutes).toBeGreaterThan(0);
    // With splits at 1,500 events/s the hot range is cut up; reactive spreads the pieces.
    const detail = JSON.stringify(r.policies);
    expect(metrics("reactive").migrations, detail).toBeGreaterThan(0);
    expect(metrics("reactive").violationMinutes, detail).toBeLessThan(metrics("static").violationMinutes);
    // The measured part carries the recorded writes (interpolated between bucket means).
    const measured = metrics("static");
    const warmupMs = r.measuredFrom - start;
    expect(warmupMs).toBeGreaterThan(0);
    expect(measured.events).toBeGreaterThan(0);
    expect(measured.events).toBeLessThan(written);
  });

  it("takes a drafted copy budget: moves that copy slowly relieve the hot host later, and a budget below the minimum is refused", async () => {
    // The recorded day of the test above: the hot shardlet's pieces must move off its host.
    // Moves by copy: a hand-off (the default) copies nothing, so its budget would change nothing.
    const run = (copyBytesPerSec: number) =>
      h.call<Result>("mutation", "whatif.run", { source: "telemetry", lifecycle: { splitWriteRate: 1500 }, rebalance: { moveMode: "copy" }, analyzer: { copyBytesPerSec } }, operator);
    const slow = await run(4 * 1024);
    const fast = await run(64 * 1024 * 1024);
    expect(slow.status, JSON.stringify(slow.error)).toBe(200);
    expect(fast.status, JSON.stringify(fast.error)).toBe(200);
    expect(slow.data!.fields.analyzer.copyBytesPerSec).toBe(4 * 1024);
    const reactive = (r: Result) => r.policies.find((p) => p.policy === "reactive")!.metrics;
    const detail = JSON.stringify({ slow: reactive(slow.data!), fast: reactive(fast.data!) });
    expect(reactive(slow.data!).violationMinutes, detail).toBeGreaterThan(reactive(fast.data!).violationMinutes);

    const tooSlow = await run(100);
    expect(tooSlow.status).toBe(400);
    expect(tooSlow.error!.data.details!.rejected!.map((x) => x.path)).toEqual(["analyzer.copyBytesPerSec"]);
  });

  it("copies at the speed recent migrations ran when that is slower than the copy budget, and says so", async () => {
    // Three finished migrations that each copied 10 MiB in 40 s: 256 KiB/s, below the 20 MiB/s budget.
    const s = shardlets[0]!;
    for (let i = 0; i < 3; i++) {
      const m = await h.db.migration.create({
        data: { streamId, shardletId: s.id, sourceHostId: s.hostId, destHostId: s.hostId, origin: "manual", reason: "measured copy", phase: "done", rowsTotal: 1000n, rowsCopied: 1000n, bytesToMove: 10485760n, finishedAt: new Date() },
      });
      const t0 = Date.now() - 120_000;
      await h.db.migrationEvent.createMany({
        data: [
          { migrationId: m.id, phase: "copying", message: "copying", at: new Date(t0) },
          { migrationId: m.id, phase: "verifying", message: "verifying", at: new Date(t0 + 40_000) },
        ],
      });
    }
    const measured = await h.call<Result>("mutation", "whatif.run", { source: "trace" }, operator);
    expect(measured.status, JSON.stringify(measured.error)).toBe(200);
    expect(measured.data!.source.note).toContain("Copies planned at 256 KiB/s, the median of the last 3 migrations, below the copy budget of 20 MiB/s.");
    expect(measured.data!.fields.analyzer.copyBytesPerSec).toBe(256 * 1024);

    // A drafted budget is what the run varies: taken as given.
    const drafted = await h.call<Result>("mutation", "whatif.run", { source: "trace", analyzer: { copyBytesPerSec: 8 * 1048576 } }, operator);
    expect(drafted.status).toBe(200);
    expect(drafted.data!.source.note).not.toContain("Copies planned at");
    expect(drafted.data!.fields.analyzer.copyBytesPerSec).toBe(8 * 1048576);
  });
});

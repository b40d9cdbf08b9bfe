import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricSeries, recordMetrics, type ControlDb, type MetricInput } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

const HOUR = 3_600_000;
const STEP = 60_000;

describe("metric series", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };
  let db: ControlDb;

  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });

  it("keeps only the cluster-wide samples when asked, and averages the window into buckets when capped", async () => {
    const now = Date.now();
    const samples: MetricInput[] = [];
    for (let i = 0; i < 20; i++) {
      const at = now - (19 - i) * 5_000;
      samples.push({ name: "ingest.rate_test", value: i, at });
      for (let s = 0; s < 5; s++) samples.push({ name: "ingest.rate_test", value: 1_000 + s, streamId: `stream-${s}`, at });
      samples.push({ name: "ingest.rate_test", value: 2_000, hostId: "host-1", at });
    }
    await recordMetrics(db, samples);

    const cluster = await metricSeries(db, "ingest.rate_test", now - 3_600_000, { clusterWide: true });
    expect(cluster.map((p) => p.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(cluster.every((p) => p.streamId === null && p.hostId === null)).toBe(true);

    // Capped, the window is averaged into time buckets (the 20 samples span 95 s of the hour, so
    // one or two buckets, depending on where the bucket grid falls): each point is the mean of a
    // run of consecutive samples, dated by its newest.
    const capped = await metricSeries(db, "ingest.rate_test", now - 3_600_000, { clusterWide: true, limit: 5 });
    expect(capped.length).toBeGreaterThan(0);
    expect(capped.length).toBeLessThanOrEqual(2);
    expect(capped.at(-1)?.at).toBe(now);
    expect(capped[0]!.value).toBeLessThanOrEqual(9.5);
    expect(capped.at(-1)!.value).toBeGreaterThanOrEqual(9.5);
    if (capped.length === 2) expect(capped[0]!.value).toBeLessThan(capped[1]!.value);
    else expect(capped[0]!.value).toBe(9.5);

    // Unfiltered, one point per series (7 of them) when the cap allows no more, each dated by its newest sample.
    const all = await metricSeries(db, "ingest.rate_test", now - 3_600_000, { limit: 7 });
    expect(all.every((p) => p.at === now)).toBe(true);
    expect(all).toHaveLength(7);
  });

  it("downsamples each series across the whole window instead of keeping only the newest samples", async () => {
    const limit = 100;
    // The buckets lie on an epoch-aligned grid (a day over 50 buckets a series: 29.4 min wide). A
    // `now` just past a grid line would leave the newest bucket a single sample, so the newest
    // sample sits mid-bucket.
    const width = Math.ceil((24 * HOUR + 1) / (limit / 2 - 1) / 1000) * 1000;
    const now = Math.floor(Date.now() / width) * width - width / 2;
    const since = now - 24 * HOUR;
    const series = ["stream-a", "stream-b"] as const;
    const samples: MetricInput[] = [];
    // One sample a minute for a day per stream, plus a day older that the window must leave out.
    for (let at = now - 48 * HOUR; at <= now; at += STEP) {
      const i = (at - since) / STEP;
      samples.push({ name: "ingest.ds_test", value: i, streamId: series[0], at });
      samples.push({ name: "ingest.ds_test", value: 10_000 + 3 * i * i, streamId: series[1], at });
    }
    await recordMetrics(db, samples);

    const points = await metricSeries(db, "ingest.ds_test", since, { limit });
    expect(points.length).toBeLessThanOrEqual(limit);
    expect(points.map((p) => p.at)).toEqual([...points.map((p) => p.at)].sort((a, b) => a - b));

    for (const streamId of series) {
      const mine = points.filter((p) => p.streamId === streamId);
      const raw = samples.filter((s) => s.streamId === streamId && s.at! >= since);
      // Buckets are ~30 min wide here; truncating to the newest 100 samples would start ~50 min ago.
      expect(mine.length).toBeGreaterThan(40);
      expect(mine[0]!.at - since).toBeLessThan(HOUR);
      expect(mine.at(-1)!.at).toBe(now);

      // Each point is the mean of the samples after the previous point up to its own time.
      let from = since - 1;
      for (const p of mine) {
        const inBucket = raw.filter((s) => s.at! > from && s.at! <= p.at);
        // The first bucket of the grid may hold a single sample; every later one averages several.
        if (p !== mine[0]) expect(inBucket.length).toBeGreaterThan(1);
        const mean = inBucket.reduce((sum, s) => sum + s.value, 0) / inBucket.length;
        expect(p.value).toBeCloseTo(mean, 6);
        from = p.at;
      }
      expect(from).toBe(now);
    }

    // One bucket checked by hand: stream-a's first point averages the indexes 0..k of its samples.
    const first = points.find((p) => p.streamId === series[0])!;
    const k = (first.at - since) / STEP;
    expect(first.value).toBeCloseTo(k / 2, 6);
  });

  it("sums samples of one series at the same instant before averaging them over a bucket", async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const since = now - 10 * STEP;
    const samples: MetricInput[] = [];
    for (let at = since; at <= now; at += STEP) {
      // Two workers each report their share of the cluster's rate at every instant.
      samples.push({ name: "ingest.ds_sum", value: 1, at }, { name: "ingest.ds_sum", value: 2, at });
    }
    await recordMetrics(db, samples);
    const points = await metricSeries(db, "ingest.ds_sum", since, { clusterWide: true, limit: 4 });
    expect(points.length).toBeLessThanOrEqual(4);
    expect(points[0]!.at - since).toBeLessThan(5 * STEP);
    expect(points.at(-1)!.at).toBe(now);
    expect(points.every((p) => p.value === 3)).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricSeries, recordMetrics, type ControlDb, type MetricInput } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

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
});

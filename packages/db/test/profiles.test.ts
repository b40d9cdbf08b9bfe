import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFields, ShardletProfile, summarizeProfile, type ProfileDelta } from "@shardcast/core";
import { applyProfileRetention, applyTelemetryBatch, PROFILE_BUCKET_SEC, profileActivity, readShardletProfiles, type ControlDb } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let db: ControlDb;
beforeAll(async () => {
  control = await createTestControlDb();
  db = control.db;
});
afterAll(() => control?.drop());

const T = Date.UTC(2026, 0, 5, 10, 0, 0);
const fields = compileFields(["amount"]);

function profile(from: number, n: number): ShardletProfile {
  const p = new ShardletProfile();
  for (let i = from; i < from + n; i++) p.observe(`k${i}`, { amount: i }, 100 + i, (i % 32) / 32, fields);
  return p;
}

const delta = (bucketStart: number, shardletId: string, p: ShardletProfile): ProfileDelta => ({ bucketStart, streamId: "s1", shardletId, profile: p.toData() });

describe("profile buckets", () => {
  it("merge every edge's flushes into one profile per shardlet and bucket, exactly once per batch", async () => {
    // Two edges' flushes, in two rollup batches, inside one profile bucket; one flush in the next bucket.
    const a = profile(0, 400);
    const b = profile(400, 600);
    const later = profile(1000, 50);
    const empty = { shardlets: [], hotKeys: [], clients: [] };
    const first = await applyTelemetryBatch(db, { id: "p1", claimedAtMs: T + 20_000, deltas: { ...empty, profiles: [delta(T, "a", a)] } });
    expect(first.rows.profiles).toBe(1);
    await applyTelemetryBatch(db, { id: "p2", claimedAtMs: T + 30_000, deltas: { ...empty, profiles: [delta(T + 10_000, "a", b), delta(T + PROFILE_BUCKET_SEC * 1000, "a", later)] } });
    // The same batch again (a rollup that crashed after committing) adds nothing.
    expect((await applyTelemetryBatch(db, { id: "p2", claimedAtMs: T + 30_000, deltas: { ...empty, profiles: [delta(T + 10_000, "a", b)] } })).applied).toBe(false);

    const all = profile(0, 1000);
    all.merge(later);
    const stored = await readShardletProfiles(db, { streamId: "s1", fromMs: T, toMs: T + 3_600_000 });
    const got = summarizeProfile(stored.get("a")!);
    const want = summarizeProfile(all);
    expect(got.sampled).toBe(1050);
    expect(got.keyBins).toEqual(want.keyBins);
    expect(got.distinctKeys).toBe(want.distinctKeys);
    expect(got.sizes).toEqual(want.sizes);
    const amount = got.fields.find((f) => f.path === "amount")!;
    expect(amount.mean).toBeCloseTo(want.fields[0]!.mean!, 9);
    expect(amount.std).toBeCloseTo(want.fields[0]!.std!, 9);

    // Only the first bucket when the window ends before the second.
    const early = await readShardletProfiles(db, { streamId: "s1", fromMs: T, toMs: T + PROFILE_BUCKET_SEC * 1000 });
    expect(early.get("a")!.sampled).toBe(1000);
    expect(await profileActivity(db, { streamId: "s1", fromMs: T, toMs: T + 3_600_000 })).toEqual([
      { bucketStart: T, sampled: 1000 },
      { bucketStart: T + PROFILE_BUCKET_SEC * 1000, sampled: 50 },
    ]);
  });

  it("keeps a bucket correct when two rollups merge into it at once", async () => {
    const empty = { shardlets: [], hotKeys: [], clients: [] };
    const parts = Array.from({ length: 6 }, (_, i) => profile(i * 100, 100));
    await Promise.all(parts.map((p, i) => applyTelemetryBatch(db, { id: `c${i}`, claimedAtMs: T + 40_000, deltas: { ...empty, profiles: [delta(T + 2 * 3_600_000, "c", p)] } })));
    const stored = await readShardletProfiles(db, { streamId: "s1", fromMs: T + 2 * 3_600_000, toMs: T + 3 * 3_600_000 });
    expect(stored.get("c")!.sampled).toBe(600);
  });

  it("expires buckets past the retention", async () => {
    const deleted = await applyProfileRetention(db, T + 3 * 86_400_000);
    expect(deleted).toBeGreaterThanOrEqual(3);
    expect((await readShardletProfiles(db, { streamId: "s1", fromMs: T, toMs: T + 4 * 3_600_000 })).size).toBe(0);
  });
});

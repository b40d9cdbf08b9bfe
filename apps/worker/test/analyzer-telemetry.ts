import type { ControlDb } from "@shardcast/db";

/**
 * Telemetry as the rollup would have stored it: one bucket row per step ending at `endMs`, `rates`
 * in events/s oldest first (written, or read with `metric: "reads"`). Tests seed history this way
 * instead of waiting minutes of real traffic for a trend to form.
 */
export async function insertWriteRates(
  db: ControlDb,
  q: { streamId: string; shardletId: string; endMs: number; bucketSec: number; rates: readonly number[]; metric?: "writes" | "reads" },
): Promise<void> {
  const stepMs = q.bucketSec * 1000;
  const start = q.endMs - q.rates.length * stepMs;
  if (q.metric !== "reads") {
    await db.telemetryBucket.createMany({
      data: q.rates.map((rate, i) => ({
        resolution: q.bucketSec,
        bucketStart: new Date(start + i * stepMs),
        shardletId: q.shardletId,
        streamId: q.streamId,
        writes: BigInt(Math.round(rate * q.bucketSec)),
        bytesWritten: BigInt(Math.round(rate * q.bucketSec * 100)),
      })),
    });
    return;
  }
  // One row holds a bucket's writes and reads: reads update the rows writes made.
  for (const [i, rate] of q.rates.entries()) {
    const events = BigInt(Math.round(rate * q.bucketSec));
    const bytes = BigInt(Math.round(rate * q.bucketSec * 100));
    const counts = { reads: events, bytesRead: bytes };
    const key = { resolution: q.bucketSec, bucketStart: new Date(start + i * stepMs), shardletId: q.shardletId };
    await db.telemetryBucket.upsert({
      where: { resolution_bucketStart_shardletId: key },
      create: { ...key, streamId: q.streamId, ...counts },
      update: counts,
    });
  }
}

/** Shardlets created `agoMs` before `nowMs`, so seeded history counts as observed (not before they existed). */
export async function backdateShardlets(db: ControlDb, streamId: string, nowMs: number, agoMs = 3_600_000): Promise<void> {
  await db.shardlet.updateMany({ where: { streamId }, data: { createdAt: new Date(nowMs - agoMs) } });
}

/** What the default selection can choose for a series (the model names a run stores). */
export const SELECTABLE_MODELS = ["seasonal_naive", "weekly_naive", "weekly_median", "holt_winters", "double_seasonal", "ensemble"];

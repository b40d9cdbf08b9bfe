import type { ControlDb } from "@shardcast/db";

/**
 * Telemetry as the rollup would have stored it: one 10 s bucket row per step ending at `endMs`,
 * `rates` in writes/s oldest first. Tests seed history this way instead of waiting minutes of
 * real traffic for a trend to form.
 */
export async function insertWriteRates(
  db: ControlDb,
  q: { streamId: string; shardletId: string; endMs: number; bucketSec: number; rates: readonly number[] },
): Promise<void> {
  const stepMs = q.bucketSec * 1000;
  const start = q.endMs - q.rates.length * stepMs;
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
}

/** Shardlets created `agoMs` before `nowMs`, so seeded history counts as observed (not before they existed). */
export async function backdateShardlets(db: ControlDb, streamId: string, nowMs: number, agoMs = 3_600_000): Promise<void> {
  await db.shardlet.updateMany({ where: { streamId }, data: { createdAt: new Date(nowMs - agoMs) } });
}

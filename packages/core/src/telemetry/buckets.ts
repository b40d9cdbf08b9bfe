/**
 * Telemetry time buckets. Edges count in the finest resolution; the rollup adds every delta into
 * the bucket that contains it at each resolution at once (10 s, 1 min, 1 h), so a coarse bucket is
 * complete as soon as its fine buckets are and no separate fold pass can fall behind. Each
 * resolution is kept for its own retention: fine detail for recent load, hours for seasonality.
 */

export const TELEMETRY_RESOLUTIONS = [10, 60, 3600] as const;
export type TelemetryResolution = (typeof TELEMETRY_RESOLUTIONS)[number];

/** Bucket length (seconds) edges count in. */
export const FINEST_RESOLUTION: TelemetryResolution = 10;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** How long rows of each resolution are kept. */
export const TELEMETRY_RETENTION_MS: Readonly<Record<TelemetryResolution, number>> = {
  10: DAY_MS,
  60: 14 * DAY_MS,
  3600: 400 * DAY_MS,
};

/** Hot keys kept per stream and closed bucket at the coarse resolutions (the rest are trimmed). */
export const HOT_KEYS_KEPT_PER_BUCKET = 50;

/** Host resource samples are kept this long. */
export const HOST_RESOURCE_RETENTION_MS = 14 * DAY_MS;

/** Ended load hints are kept as long as the coarsest telemetry, whose forecasts they explain. */
export const LOAD_HINT_RETENTION_MS = TELEMETRY_RETENTION_MS[3600];

export function isTelemetryResolution(n: number): n is TelemetryResolution {
  return (TELEMETRY_RESOLUTIONS as readonly number[]).includes(n);
}

/** Start (epoch ms) of the bucket of `resolutionSec` seconds that holds `ms`, aligned to the epoch (UTC). */
export function bucketStart(ms: number, resolutionSec: number): number {
  const len = resolutionSec * 1000;
  return Math.floor(ms / len) * len;
}

/** Bucket starts of every bucket that overlaps [fromMs, toMs), oldest first. */
export function bucketStarts(fromMs: number, toMs: number, resolutionSec: number): number[] {
  const len = resolutionSec * 1000;
  const out: number[] = [];
  for (let b = bucketStart(fromMs, resolutionSec); b < toMs; b += len) out.push(b);
  return out;
}

/**
 * The finest resolution whose retention still covers `fromMs` and that gives at most `maxPoints`
 * buckets over [fromMs, toMs) (the coarsest when none does).
 */
export function resolutionFor(fromMs: number, toMs: number, nowMs: number, maxPoints = 2_000): TelemetryResolution {
  for (const r of TELEMETRY_RESOLUTIONS) {
    if (nowMs - fromMs > TELEMETRY_RETENTION_MS[r]) continue;
    if ((toMs - fromMs) / (r * 1000) <= maxPoints) return r;
  }
  return TELEMETRY_RESOLUTIONS[TELEMETRY_RESOLUTIONS.length - 1]!;
}

/**
 * Values per bucket summed onto `steps` evenly spaced steps from `startMs` (zero where no bucket
 * falls), e.g. a shardlet's writes per 10 s bucket as a dense per-minute series.
 */
export function alignSeries(points: Iterable<{ bucketStart: number; value: number }>, startMs: number, stepMs: number, steps: number): number[] {
  const out = new Array<number>(steps).fill(0);
  for (const p of points) {
    const i = Math.floor((p.bucketStart - startMs) / stepMs);
    if (i >= 0 && i < steps) out[i]! += p.value;
  }
  return out;
}

import type { ProfileSummary } from "./profile-summary.ts";

/**
 * Shardlet and host health in [0, 1] (seed 004's "partition health"). Each component scores one
 * way a shardlet can go wrong, 1 meaning no sign of it; the score is the lowest component, so the
 * component that pulled it down is named and a strong component never hides a weak one.
 */
export const HEALTH_COMPONENTS = ["key_skew", "load", "forecast", "size_growth", "latency"] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

export interface ComponentScore {
  name: HealthComponent | "balance" | "shardlets";
  score: number;
  detail: string;
}

export interface HealthScore {
  score: number;
  /** The component with the lowest score, or null when every component is at 1. */
  weakest: ComponentScore["name"] | null;
  components: ComponentScore[];
}

export interface ShardletHealthInput {
  profile: ProfileSummary | null;
  /** Recent events/s written. */
  writeRate: number;
  /** Recent bytes/s written. */
  bytesPerSec: number;
  /** The lifecycle's split write rate: the load a shardlet is meant to carry. */
  splitWriteRate: number;
  sizeBytes: number;
  capacityBytes: number;
  /** Fullness (size / capacity) at which the lifecycle splits. */
  splitThreshold: number;
  /** Forecast peak events/s over the analyzer's horizon; null without a forecast. */
  predictedPeak: number | null;
  latencyTargetMs: number;
}

/** Fewer sampled events than this say nothing about skew. */
export const MIN_SKEW_SAMPLES = 30;

/** 1 at or below `good`, 0 at or above `bad`, linear between. */
function ramp(x: number, good: number, bad: number): number {
  if (!(x > good)) return 1;
  if (x >= bad) return 0;
  return 1 - (x - good) / (bad - good);
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function shardletHealth(h: ShardletHealthInput): HealthScore {
  const components: ComponentScore[] = [];
  const rateRef = Math.max(1e-9, h.splitWriteRate);
  const u = h.writeRate / rateRef;
  components.push({ name: "load", score: ramp(u, 0.5, 1.25), detail: `${h.writeRate.toFixed(1)} events/s, ${pct(u)} of the split write rate` });

  const fu = h.predictedPeak === null ? null : h.predictedPeak / rateRef;
  components.push(
    fu === null
      ? { name: "forecast", score: 1, detail: "no forecast yet" }
      : { name: "forecast", score: ramp(fu, 0.5, 1.25), detail: `forecast peak ${h.predictedPeak!.toFixed(1)} events/s, ${pct(fu)} of the split write rate` },
  );

  const p = h.profile;
  if (!p || p.sampled < MIN_SKEW_SAMPLES) {
    components.push({ name: "key_skew", score: 1, detail: `too few sampled events (${p?.sampled ?? 0}) to judge skew` });
  } else {
    // Skew matters in proportion to load: one key owning a quiet shardlet costs nothing.
    const weight = Math.min(1, Math.max(0.25, Math.max(u, fu ?? 0) / 0.5));
    const top = p.topKeys[0];
    components.push({
      name: "key_skew",
      score: 1 - p.topKeyShare * weight,
      detail: top ? `hottest key "${top.key.slice(0, 40)}" takes ${pct(p.topKeyShare)} of sampled writes (${p.distinctKeys} distinct keys)` : "no keys sampled",
    });
  }

  const fullness = h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0;
  const room = Math.max(0, h.splitThreshold * h.capacityBytes - h.sizeBytes);
  const fillSec = h.bytesPerSec > 0 ? room / h.bytesPerSec : Number.POSITIVE_INFINITY;
  // Time to the split threshold on a log scale: 6 h or more is fine, 5 min or less is urgent.
  const timeScore = fillSec >= 6 * 3600 ? 1 : fillSec <= 300 ? 0 : Math.log(fillSec / 300) / Math.log((6 * 3600) / 300);
  components.push({
    name: "size_growth",
    score: Math.min(ramp(fullness / Math.max(1e-9, h.splitThreshold), 0.75, 1.1), timeScore),
    detail: `${pct(fullness)} full${Number.isFinite(fillSec) ? `, at the split threshold in ${fillSec < 3600 ? `${Math.round(fillSec / 60)} min` : `${(fillSec / 3600).toFixed(1)} h`}` : ", not growing"}`,
  });

  const lat = Math.max(p?.ackP99Ms ?? 0, p?.readP99Ms ?? 0);
  components.push(
    p && (p.ackP99Ms !== null || p.readP99Ms !== null)
      ? {
          name: "latency",
          score: ramp(lat / h.latencyTargetMs, 0.5, 1.5),
          detail: `p99 ack ${fmtMs(p.ackP99Ms)}, read ${fmtMs(p.readP99Ms)} (target ${h.latencyTargetMs} ms)`,
        }
      : { name: "latency", score: 1, detail: "no latency measured yet" },
  );
  return combine(components);
}

function fmtMs(v: number | null): string {
  return v === null ? "n/a" : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

function combine(components: ComponentScore[]): HealthScore {
  let weakest: ComponentScore | null = null;
  for (const c of components) {
    c.score = Math.min(1, Math.max(0, c.score));
    if (c.score < 1 && (!weakest || c.score < weakest.score)) weakest = c;
  }
  return { score: weakest?.score ?? 1, weakest: weakest?.name ?? null, components };
}

/**
 * A host's health: its weakest shardlet, and its share of the cluster's writes against a fair
 * share (1 / active hosts). A host carrying twice and a half its share or more scores 0.
 */
export function hostHealth(input: { shardlets: ReadonlyArray<{ id: string; health: HealthScore }>; writeShare: number; fairShare: number }): HealthScore {
  const worst = [...input.shardlets].sort((a, b) => a.health.score - b.health.score)[0];
  const ratio = input.fairShare > 0 ? input.writeShare / input.fairShare : 0;
  return combine([
    worst
      ? { name: "shardlets", score: worst.health.score, detail: `weakest shardlet ${worst.id}${worst.health.weakest ? ` (${worst.health.weakest.replace("_", " ")})` : ""}` }
      : { name: "shardlets", score: 1, detail: "no shardlets" },
    { name: "balance", score: ramp(ratio, 1.25, 2.5), detail: `${pct(input.writeShare)} of the cluster's writes (fair share ${pct(input.fairShare)})` },
  ]);
}

import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { streamProfileSettings } from "@shardcast/core/profile/settings";
import { useTRPC } from "./trpc.ts";

export type HealthScore = inferRouterOutputs<AppRouter>["profiler"]["health"]["shardlets"][number]["health"];
export type ColourBy = "load" | "health";
export type HealthTone = "ok" | "warn" | "danger";

// Below the threshold the orchestrator acts; amber flags shardlets a little more load would push
// there, so an operator sees them coming.
const NEAR_MARGIN = 0.15;
// The schema's default, used until the settings have loaded.
const DEFAULT_THRESHOLD = 0.5;

export function healthTone(score: number, threshold: number): HealthTone {
  if (score < threshold) return "danger";
  return score < Math.min(1, threshold + NEAR_MARGIN) ? "warn" : "ok";
}

export const TONE_COLOUR: Record<HealthTone, string> = { ok: "var(--ok)", warn: "var(--warn)", danger: "var(--danger)" };
export const TONE_SOFT: Record<HealthTone, string> = { ok: "var(--ok-soft)", warn: "var(--warn-soft)", danger: "var(--danger-soft)" };
export const TONE_BADGE: Record<HealthTone, string> = { ok: "badge-ok", warn: "badge-warn", danger: "badge-danger" };

export const formatScore = (score: number) => score.toFixed(2);
export const componentLabel = (name: string) => name.replace(/_/g, " ");

/** "health 0.42 · weakest: key skew (hottest key …)", for titles and tooltips. */
export function healthSummary(h: HealthScore): string {
  const weakest = h.weakest ? h.components.find((c) => c.name === h.weakest) : undefined;
  return `health ${formatScore(h.score)} · ${weakest ? `weakest: ${componentLabel(weakest.name)} (${weakest.detail})` : "no weak component"}`;
}

/** The three bands a score falls in, for a legend. */
export function healthLegend(threshold: number): Array<{ tone: HealthTone; label: string }> {
  const near = Math.min(1, threshold + NEAR_MARGIN);
  return [
    { tone: "ok", label: `healthy (${formatScore(near)} and up)` },
    { tone: "warn", label: `near the threshold (${formatScore(threshold)}–${formatScore(near)})` },
    { tone: "danger", label: `below the threshold (under ${formatScore(threshold)})` },
  ];
}

const hex = (n: number) => "0x" + Math.max(0, n).toString(16).padStart(8, "0");

/** A shardlet's [lo, hi) range written the way the API's range views write it: first–last hash. */
export function hashRange(lo: number, hi: number): string {
  return `${hex(lo)}–${hex(hi - 1)}`;
}

/**
 * Cluster-wide health scores by shardlet id, for pages that colour shardlets by health, with each
 * stream's threshold (streams may override the default). Nothing is fetched while `enabled` is false.
 */
export function useShardletHealth(enabled: boolean) {
  const trpc = useTRPC();
  const health = useQuery(trpc.profiler.health.queryOptions({}, { enabled, refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const settings = useQuery(trpc.profiler.settings.queryOptions(undefined, { enabled, refetchInterval: 30_000 }));
  const byId = useMemo(() => new Map((health.data?.shardlets ?? []).map((s) => [s.id, s.health])), [health.data]);
  const s = settings.data?.settings;
  const threshold = s?.healthThreshold ?? DEFAULT_THRESHOLD;
  return {
    byId,
    threshold,
    thresholdOf: (streamName: string) => (s ? streamProfileSettings(s, streamName).healthThreshold : threshold),
    profilerEnabled: health.data?.enabled ?? true,
    pending: enabled && health.isPending,
    error: health.error ?? settings.error,
  };
}
export type ShardletHealth = ReturnType<typeof useShardletHealth>;

/** A shardlet's score with its band against its stream's threshold; null when it has no score. */
export function scoredHealth(health: ShardletHealth, shardletId: string, streamName: string): { score: HealthScore; tone: HealthTone } | null {
  const score = health.byId.get(shardletId);
  return score ? { score, tone: healthTone(score.score, health.thresholdOf(streamName)) } : null;
}

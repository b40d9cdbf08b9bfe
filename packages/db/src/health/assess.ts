import {
  hostHealth,
  isRoutedState,
  parseProfilerSettings,
  PROFILER_SETTINGS_KEY,
  shardletHealth,
  streamProfileSettings,
  summarizeProfile,
  type EffectiveProfileSettings,
  type HealthScore,
  type LifecycleSettings,
  type ProfilerSettings,
  type ProfileSummary,
} from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { latestAnalyzerRun } from "../analyzer/runs.ts";
import { listHosts, type HostInfo } from "../hosts.ts";
import { getLifecycleSettings } from "../lifecycle-settings.ts";
import { listShardlets, type ShardletInfo } from "../routes.ts";
import { getSettings } from "../settings.ts";
import { listStreamNames } from "../streams.ts";
import { readShardletProfiles } from "../telemetry/profiles.ts";
import { telemetryTotals } from "../telemetry/read.ts";

/** Recent load is measured over this long, ending one finest bucket ago (the newest is still filling). */
const LOAD_WINDOW_MS = 120_000;
const LOAD_LAG_MS = 10_000;

export interface ShardletHealthView {
  shardlet: ShardletInfo;
  writeRate: number;
  bytesPerSec: number;
  predictedPeak: number | null;
  profile: ProfileSummary | null;
  health: HealthScore;
}

export interface StreamHealthView {
  id: string;
  name: string;
  settings: EffectiveProfileSettings;
  shardlets: ShardletHealthView[];
}

export interface HostHealthView {
  host: HostInfo;
  writeShare: number;
  health: HealthScore;
}

export interface ClusterHealth {
  atMs: number;
  settings: ProfilerSettings;
  lifecycle: LifecycleSettings;
  streams: StreamHealthView[];
  hosts: HostHealthView[];
}

/**
 * Every live shardlet's health (and each host's) as of `nowMs`, from the last profiles, recent
 * telemetry, accounting and the latest forecast. The orchestrator decides from it and the console
 * shows it, so both see the same scores.
 */
export async function assessClusterHealth(db: ControlDb, opts: { nowMs: number; streamId?: string }): Promise<ClusterHealth> {
  const [stored, lifecycle, streams, all, hosts, run] = await Promise.all([
    getSettings(db),
    getLifecycleSettings(db),
    listStreamNames(db),
    listShardlets(db),
    listHosts(db),
    latestAnalyzerRun(db),
  ]);
  const settings = parseProfilerSettings(stored[PROFILER_SETTINGS_KEY]);
  const peaks = new Map((run?.ranking ?? []).map((r) => [r.shardletId, r.predictedPeak]));
  const live = all.filter((s) => isRoutedState(s.state));
  const to = opts.nowMs - LOAD_LAG_MS;
  const from = to - LOAD_WINDOW_MS;
  const out: StreamHealthView[] = [];
  for (const stream of streams.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const mine = live.filter((s) => s.streamId === stream.id).sort((a, b) => a.lo - b.lo);
    if (opts.streamId && stream.id !== opts.streamId) continue;
    const eff = streamProfileSettings(settings, stream.name);
    const [totals, profiles] = await Promise.all([
      mine.length > 0 ? telemetryTotals(db, { streamId: stream.id, from, to }) : Promise.resolve(null),
      readShardletProfiles(db, { streamId: stream.id, fromMs: opts.nowMs - eff.windowSec * 1000, toMs: opts.nowMs + 1 }),
    ]);
    const byShardlet = new Map((totals?.byShardlet ?? []).map((t) => [t.shardletId, t]));
    out.push({
      id: stream.id,
      name: stream.name,
      settings: eff,
      shardlets: mine.map((s) => {
        const t = byShardlet.get(s.id);
        const writeRate = t ? t.writes / (LOAD_WINDOW_MS / 1000) : 0;
        const bytesPerSec = t ? t.bytesWritten / (LOAD_WINDOW_MS / 1000) : 0;
        const p = profiles.get(s.id);
        const profile = p && !p.empty ? summarizeProfile(p) : null;
        const predictedPeak = peaks.get(s.id) ?? null;
        const health = shardletHealth({
          profile,
          writeRate,
          bytesPerSec,
          splitWriteRate: lifecycle.splitWriteRate,
          sizeBytes: s.sizeBytes,
          capacityBytes: s.capacityBytes,
          splitThreshold: lifecycle.splitThreshold,
          predictedPeak,
          latencyTargetMs: eff.latencyTargetMs,
        });
        return { shardlet: s, writeRate, bytesPerSec, predictedPeak, profile, health };
      }),
    });
  }
  const views = out.flatMap((s) => s.shardlets);
  const total = views.reduce((a, v) => a + v.writeRate, 0);
  const active = hosts.filter((h) => h.status === "active");
  const hostViews = hosts.map((host) => {
    const on = views.filter((v) => v.shardlet.hostId === host.id);
    const writes = on.reduce((a, v) => a + v.writeRate, 0);
    const writeShare = total > 0 ? writes / total : 0;
    return {
      host,
      writeShare,
      health: hostHealth({ shardlets: on.map((v) => ({ id: v.shardlet.id, health: v.health })), writeShare, fairShare: active.length > 0 ? 1 / active.length : 1 }),
    };
  });
  return { atMs: opts.nowMs, settings, lifecycle, streams: out, hosts: hostViews };
}

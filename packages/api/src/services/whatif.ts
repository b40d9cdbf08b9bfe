import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  analyzerSettingsSchema,
  copySpeedNote,
  lifecycleSettingsSchema,
  plannedCopySpeed,
  rebalanceSettingsSchema,
  ShardcastError,
  type AnalyzerSettings,
  type LifecycleSettings,
  type RebalanceSettings,
} from "@shardcast/core";
import {
  getAnalyzerSettings,
  getLifecycleSettings,
  getRebalanceSettings,
  listHosts,
  listShardletRanges,
  listShardlets,
  listStreams,
  newestBucketStart,
  oldestBucketStartSince,
  recentCopySpeed,
  shardletSeries,
  type ControlDb,
} from "@shardcast/db";
import { chartPoints, hostsFloor, hostsPoints, type ChartPoint, type HostsPoint } from "./whatif-charts.ts";
import type { WhatIfIncident } from "../routers/whatif/schemas.ts";
import { incidentRows } from "./whatif-incidents.ts";
import {
  compareAsync,
  WHATIF_POLICIES,
  DOS_FOLDER,
  telemetryWorkload,
  WHATIF_MAX_TICKS,
  WHATIF_TRACE_DAYS,
  whatIfConfig,
  whatIfTraceScenario,
  type Comparison,
  type InitialLayout,
  type PolicyMetrics,
  type TelemetryRange,
  type WhatIfSettings,
} from "@shardcast/sim";

/**
 * The console's what-if: the simulator on the last day of the cluster's own telemetry (or, before
 * there is any, on a shipped trace), with the current settings or an operator's draft of them, so
 * thresholds can be tried before they are applied. One run at a time per server; a run yields to
 * the event loop between slices of ticks and gives up after `WHATIF_DEADLINE_MS`.
 */

export const WHATIF_DEADLINE_MS = 30_000;
/** Telemetry resolutions tried, finest first that fits a day in `WHATIF_MAX_TICKS` buckets. */
const RESOLUTIONS = [60, 10, 3600] as const;
const DAY_MS = 86_400_000;
/** Fewer buckets than this is not a day worth simulating: the shipped trace is used instead. */
const MIN_BUCKETS = 30;
const MAX_KEYS = 6_000;

export type LifecycleDraft = Partial<Pick<LifecycleSettings, "splitThreshold" | "splitWriteRate" | "mergeThreshold" | "mergeWriteRate">>;
export type RebalanceDraft = Partial<Pick<RebalanceSettings, "tolerance" | "hysteresis" | "cooldownSec" | "maxProposalsPerRun" | "minBenefitPerMB" | "moveMode">>;
export type AnalyzerDraft = Partial<Pick<AnalyzerSettings, "hostLoadBound" | "overloadFraction" | "minMoveBenefit" | "horizonSec" | "copyBytesPerSec">>;

export interface WhatIfDraft {
  source: "auto" | "telemetry" | "trace";
  lifecycle?: LifecycleDraft;
  rebalance?: RebalanceDraft;
  analyzer?: AnalyzerDraft;
}

export interface WhatIfSource {
  kind: "telemetry" | "trace";
  note: string;
  from: number;
  to: number;
  resolutionSec: number;
  buckets: number;
  shardlets: number;
  hosts: number;
}

export interface WhatIfResult {
  source: WhatIfSource;
  settings: WhatIfSettings;
  policies: Array<{ policy: string; metrics: PolicyMetrics }>;
  summary: Comparison["summary"];
  /** Hottest host's utilisation per chart point, per policy; `t` is epoch ms. */
  chart: ChartPoint[];
  /** Hosts paid per policy over time, with the predictive capacity plan's hosts needed and the floor's. */
  hostsChart: HostsPoint[];
  /** The measured time's cost floor (see whatif-charts.ts): no policy pays less without minutes over capacity. */
  hostHoursFloor: number;
  /** Each policy's largest runs of time over capacity (see whatif-incidents.ts). */
  incidents: WhatIfIncident[];
  /** Epoch ms where measuring starts (before: forecast history warm-up). */
  measuredFrom: number;
  wallMs: number;
}

let running = false;

/** Merges a draft into the stored settings and validates the result with the settings' own schemas. */
export function draftSettings(current: WhatIfSettings, draft: Pick<WhatIfDraft, "lifecycle" | "rebalance" | "analyzer">): WhatIfSettings {
  const issues: Array<{ index: number; path: string; message: string }> = [];
  const check = <T>(area: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, value: unknown): T | null => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const i of parsed.error.issues) issues.push({ index: 0, path: [area, ...i.path.map(String)].join("."), message: `${[area, ...i.path.map(String)].join(".")}: ${i.message}` });
    return null;
  };
  const lifecycle = check<LifecycleSettings>("lifecycle", lifecycleSettingsSchema, { ...current.lifecycle, ...draft.lifecycle });
  const rebalance = check<RebalanceSettings>("rebalance", rebalanceSettingsSchema, { ...current.rebalance, ...draft.rebalance });
  const analyzer = check<AnalyzerSettings>("analyzer", analyzerSettingsSchema, { ...current.analyzer, ...draft.analyzer });
  if (!lifecycle || !rebalance || !analyzer) {
    throw new ShardcastError("validation_failed", issues.map((i) => i.message).join("; "), { rejected: issues });
  }
  return { lifecycle, rebalance, analyzer };
}

export async function currentSettings(db: ControlDb): Promise<WhatIfSettings> {
  const [lifecycle, rebalance, analyzer] = await Promise.all([getLifecycleSettings(db), getRebalanceSettings(db), getAnalyzerSettings(db)]);
  return { lifecycle, rebalance, analyzer };
}

/** The folder of the shipped traces: `data/traces` in the checkout the server runs from. */
export function findTraceDir(start: string): string | null {
  let dir = start;
  for (;;) {
    const candidate = join(/*turbopackIgnore: true*/ dir, "data", "traces");
    if (existsSync(/*turbopackIgnore: true*/ join(/*turbopackIgnore: true*/ candidate, DOS_FOLDER))) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

interface TelemetryWindow {
  resolutionSec: number;
  from: number;
  to: number;
}

/** The newest day of telemetry at the finest resolution that fits, or null when there is too little. */
export async function telemetryWindow(db: ControlDb): Promise<TelemetryWindow | null> {
  for (const resolutionSec of RESOLUTIONS) {
    const newest = await newestBucketStart(db, resolutionSec);
    if (!newest) continue;
    const len = resolutionSec * 1000;
    const to = newest.getTime() + len;
    const from = Math.max(to - DAY_MS, to - WHATIF_MAX_TICKS * len);
    const oldest = await oldestBucketStartSince(db, resolutionSec, new Date(from));
    const start = oldest ? Math.max(from, oldest.getTime()) : from;
    if ((to - start) / len >= MIN_BUCKETS) return { resolutionSec, from: start, to };
  }
  return null;
}

async function telemetryScenario(db: ControlDb, win: TelemetryWindow, settings: WhatIfSettings) {
  const [hosts, live, streams, points] = await Promise.all([
    listHosts(db),
    listShardlets(db, {}),
    listStreams(db),
    shardletSeries(db, { resolution: win.resolutionSec, from: win.from, to: win.to }),
  ]);
  const len = win.resolutionSec * 1000;
  const buckets = Math.round((win.to - win.from) / len);
  const ids = [...new Set(points.map((p) => p.shardletId))];
  const rows = await listShardletRanges(db, ids);
  const rates = new Map<string, number[]>(ids.map((id) => [id, new Array<number>(buckets).fill(0)]));
  let writes = 0;
  let bytes = 0;
  for (const p of points) {
    const b = Math.floor((p.bucketStart - win.from) / len);
    const series = rates.get(p.shardletId);
    if (series && b >= 0 && b < buckets) series[b]! += p.writes / win.resolutionSec;
    writes += p.writes;
    bytes += p.bytesWritten;
  }
  const ranges: TelemetryRange[] = rows.map((r) => ({ id: r.id, streamId: r.streamId, lo: r.lo, hi: r.hi, rates: rates.get(r.id) ?? [] }));
  const a = settings.analyzer;
  const period = Math.max(1, Math.round((a.period * a.bucketSec) / win.resolutionSec));
  const workload = telemetryWorkload({
    name: "telemetry",
    description: `recorded writes per shardlet, ${win.resolutionSec}-second buckets`,
    bucketMs: len,
    buckets,
    period,
    streamIds: streams.map((s) => s.id),
    ranges,
    keysPerRange: Math.max(2, Math.min(16, Math.floor(MAX_KEYS / Math.max(1, ranges.length)))),
  });
  const layout: InitialLayout = {
    hosts: hosts.map((h) => ({ id: h.id, capacityEventsPerSec: h.capacityEventsPerSec, capacityBytes: h.capacityBytes, status: h.status })),
    shardlets: live
      .filter((s) => s.state !== "pending")
      .map((s) => ({ id: s.id, streamId: s.streamId, shardId: s.shardId, lo: s.lo, hi: s.hi, hostId: s.hostId, capacityBytes: s.capacityBytes, sizeBytes: s.sizeBytes })),
  };
  const retention = streams.map((s) => s.retentionHours).sort((x, y) => x - y);
  const config = whatIfConfig(workload, layout, settings, {
    eventBytes: writes > 0 ? bytes / writes : 256,
    retentionHours: retention[retention.length >> 1] ?? 24,
  });
  return { workload, layout, config, shardlets: ranges.length };
}

export async function runWhatIf(db: ControlDb, draft: WhatIfDraft, opts: { cwd: string; deadlineMs?: number }): Promise<WhatIfResult> {
  // Before any read: a refused run costs nothing, and no await between the check and the flag.
  if (running) throw new ShardcastError("conflict", "a what-if is already running on this server; try again when it has finished");
  running = true;
  const started = Date.now();
  try {
    const drafted = draftSettings(await currentSettings(db), draft);
    // Moves copy at what recent migrations measured when that is slower than the budget, as the
    // worker plans them; a drafted budget is taken as given.
    const speed = draft.analyzer?.copyBytesPerSec === undefined ? plannedCopySpeed(drafted.analyzer.copyBytesPerSec, await recentCopySpeed(db)) : null;
    const settings = speed?.measured ? { ...drafted, analyzer: { ...drafted.analyzer, copyBytesPerSec: speed.bytesPerSec } } : drafted;
    const speedNote = speed ? copySpeedNote(speed, drafted.analyzer.copyBytesPerSec) : null;
    const win = draft.source === "trace" ? null : await telemetryWindow(db);
    if (draft.source === "telemetry" && !win) {
      throw new ShardcastError("not_found", `there is not enough telemetry to simulate yet (at least ${MIN_BUCKETS} buckets are needed)`);
    }
    let scenario: { workload: Comparison["workload"]; layout: InitialLayout; config: Comparison["config"] };
    let source: WhatIfSource;
    if (win) {
      const t = await telemetryScenario(db, win, settings);
      scenario = t;
      source = {
        kind: "telemetry",
        note: `The last ${((win.to - win.from) / 3_600_000).toFixed(1)} hours of recorded writes (${win.resolutionSec}-second buckets) on the current hosts and shardlets.`,
        from: win.from,
        to: win.to,
        resolutionSec: win.resolutionSec,
        buckets: t.workload.buckets,
        shardlets: t.layout.shardlets.length,
        hosts: t.layout.hosts.length,
      };
    } else {
      const dir = findTraceDir(opts.cwd);
      if (!dir) throw new ShardcastError("unavailable", "no telemetry yet, and the shipped traces (data/traces) are not next to this server");
      const hosts = await listHosts(db);
      scenario = whatIfTraceScenario(
        hosts.map((h) => ({ id: h.id, capacityEventsPerSec: h.capacityEventsPerSec, capacityBytes: h.capacityBytes, status: h.status })),
        settings,
        // The folder is found at run time; the bundler must not trace the whole checkout for it.
        (file) => readFileSync(/*turbopackIgnore: true*/ join(/*turbopackIgnore: true*/ dir, file), "utf8"),
      );
      source = {
        kind: "trace",
        note:
          draft.source === "trace"
            ? `A week of the shipped Wikipedia, Google and taxi traces (dos_load_prediction), scaled to 80% of the hosts' write capacity, an hour of 256-byte events kept per shardlet.`
            : `No telemetry yet: this ran on a week of the shipped Wikipedia, Google and taxi traces (dos_load_prediction), scaled to 80% of the hosts' write capacity, an hour of 256-byte events kept per shardlet. Send traffic and the what-if uses the cluster's own last day.`,
        from: 0,
        to: WHATIF_TRACE_DAYS * DAY_MS,
        resolutionSec: scenario.workload.bucketMs / 1000,
        buckets: scenario.workload.buckets,
        shardlets: scenario.layout.shardlets.length,
        hosts: scenario.layout.hosts.length,
      };
    }
    if (speedNote) source.note = `${source.note} ${speedNote.charAt(0).toUpperCase()}${speedNote.slice(1)}.`;
    const deadline = started + (opts.deadlineMs ?? WHATIF_DEADLINE_MS);
    const result = await compareAsync(scenario.workload, scenario.config, {
      layout: scenario.layout,
      policies: WHATIF_POLICIES,
      pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
      check: () => {
        if (Date.now() > deadline) throw new ShardcastError("unavailable", `the what-if took longer than ${Math.round((opts.deadlineMs ?? WHATIF_DEADLINE_MS) / 1000)} s and was stopped`);
      },
    });
    const floor = hostsFloor(result);
    return {
      source,
      settings,
      policies: result.runs.map((r) => ({ policy: r.policy, metrics: r.metrics })),
      summary: result.summary,
      chart: chartPoints(result, source.kind === "telemetry" ? source.from : 0),
      hostsChart: hostsPoints(result, source.kind === "telemetry" ? source.from : 0, floor.hostsPerTick),
      hostHoursFloor: floor.hostHours,
      incidents: incidentRows(result, source.kind === "telemetry" ? source.from : 0),
      measuredFrom: (source.kind === "telemetry" ? source.from : 0) + result.config.warmupBuckets * result.workload.bucketMs,
      wallMs: Date.now() - started,
    };
  } finally {
    running = false;
  }
}

import { ShardcastError } from "@shardcast/core";
import {
  diurnalWorkload,
  flashCrowdWorkload,
  flatWorkload,
  GENERATOR_DEFAULTS,
  GENERATOR_DESCRIPTIONS,
  HOUR_MS,
  rampWorkload,
  tenantsWorkload,
  zipfDriftWorkload,
  type GeneratorBase,
} from "./generators.ts";
import { loadDosTraces, loadNabTraces, traceWorkload, type TraceReader } from "./traces.ts";
import type { SimWorkload } from "./types.ts";

export const TRACE_WORKLOADS = ["dos-traces", "nab-tweets"] as const;
export const GENERATOR_WORKLOADS = ["flat", "diurnal", "zipf-drift", "flash-crowd", "ramp", "tenants"] as const;
export const WORKLOAD_NAMES = [...TRACE_WORKLOADS, ...GENERATOR_WORKLOADS] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(name);
}

export const WORKLOAD_DESCRIPTIONS: Record<WorkloadName, string> = {
  "dos-traces": "real: hourly message rates of Wikipedia en/de, a Google cluster and NYC taxis (3 weeks), one stream each",
  "nab-tweets": "real: tweets per hour about ten companies (8 weeks, bursty, AAPL 42%), one stream per ticker",
  ...GENERATOR_DESCRIPTIONS,
};

/** Trace parameters (Zipf over keys inside each series' stream). */
export const TRACE_DEFAULTS = { keysPerStream: 512, zipfS: 1.0, startDay: 0 } as const;

export interface WorkloadRequest {
  name: WorkloadName;
  seed: number;
  /** Simulated days, warm-up included (a trace shorter than this is used whole). */
  days: number;
  /** Warm-up at the start, in buckets (no flash crowds or ramps there). */
  warmupBuckets: number;
  /** Busiest bucket's total events/s. */
  peakTotal: number;
  /** Overrides of the generator's or trace's parameters (streams, keysPerStream, zipfS, crowdPeak, ...). */
  params?: Partial<Record<string, number>>;
  /** Reads trace files (needed for the trace workloads only). */
  readTrace?: TraceReader;
}

function num(params: Partial<Record<string, number>> | undefined, key: string, fallback: number): number {
  const v = params?.[key];
  if (v === undefined) return fallback;
  if (!Number.isFinite(v)) throw new ShardcastError("bad_request", `workload parameter ${key} must be a number`);
  return v;
}

/** The parameters a workload takes, with defaults, for --help and the report. */
export function workloadParameters(name: WorkloadName): Record<string, number> {
  if (name === "dos-traces" || name === "nab-tweets") return { ...TRACE_DEFAULTS };
  return { ...GENERATOR_DEFAULTS[name] };
}

export function buildWorkload(req: WorkloadRequest): SimWorkload {
  if (!(req.days > 0)) throw new ShardcastError("bad_request", "days must be positive");
  const buckets = Math.max(2, Math.round(req.days * 24));
  const p = req.params;
  if (req.name === "dos-traces" || req.name === "nab-tweets") {
    if (!req.readTrace) throw new ShardcastError("bad_request", `workload ${req.name} reads trace files: no reader given`);
    const set = req.name === "dos-traces" ? loadDosTraces(req.readTrace) : loadNabTraces(req.readTrace);
    return traceWorkload(set, {
      seed: req.seed,
      buckets,
      keysPerStream: Math.round(num(p, "keysPerStream", TRACE_DEFAULTS.keysPerStream)),
      zipfS: num(p, "zipfS", TRACE_DEFAULTS.zipfS),
      startBucket: Math.round(num(p, "startDay", TRACE_DEFAULTS.startDay) * 24),
      peakTotal: req.peakTotal,
    });
  }
  const d = GENERATOR_DEFAULTS[req.name];
  const base: GeneratorBase = {
    seed: req.seed,
    buckets,
    bucketMs: HOUR_MS,
    warmupBuckets: req.warmupBuckets,
    peakTotal: req.peakTotal,
    streams: Math.round(num(p, "streams", d.streams)),
    keysPerStream: Math.round(num(p, "keysPerStream", d.keysPerStream)),
    zipfS: num(p, "zipfS", d.zipfS),
  };
  const known = new Set(Object.keys(d));
  for (const k of Object.keys(p ?? {})) {
    if (!known.has(k)) throw new ShardcastError("bad_request", `workload ${req.name} has no parameter ${k} (it has: ${[...known].join(", ")})`);
  }
  const cyc = (def: { dailyAmplitude: number; weeklyAmplitude: number; phaseSpread: number }) => ({
    dailyAmplitude: num(p, "dailyAmplitude", def.dailyAmplitude),
    weeklyAmplitude: num(p, "weeklyAmplitude", def.weeklyAmplitude),
    phaseSpread: num(p, "phaseSpread", def.phaseSpread),
  });
  switch (req.name) {
    case "flat":
      return flatWorkload(base);
    case "diurnal":
      return diurnalWorkload(base, cyc(GENERATOR_DEFAULTS.diurnal));
    case "zipf-drift": {
      const g = GENERATOR_DEFAULTS["zipf-drift"];
      return zipfDriftWorkload(base, cyc(g), { driftRanksPerDay: num(p, "driftRanksPerDay", g.driftRanksPerDay) });
    }
    case "flash-crowd": {
      const g = GENERATOR_DEFAULTS["flash-crowd"];
      return flashCrowdWorkload(base, cyc(g), {
        crowdsPerDay: num(p, "crowdsPerDay", g.crowdsPerDay),
        crowdHours: num(p, "crowdHours", g.crowdHours),
        crowdPeak: num(p, "crowdPeak", g.crowdPeak),
        crowdKeys: Math.round(num(p, "crowdKeys", g.crowdKeys)),
        crowdHashWidth: num(p, "crowdHashWidth", g.crowdHashWidth),
        announcedShare: num(p, "announcedShare", g.announcedShare),
        announceLeadHours: num(p, "announceLeadHours", g.announceLeadHours),
      });
    }
    case "ramp": {
      const g = GENERATOR_DEFAULTS.ramp;
      return rampWorkload(base, cyc(g), { rampFactor: num(p, "rampFactor", g.rampFactor) });
    }
    case "tenants": {
      const g = GENERATOR_DEFAULTS.tenants;
      return tenantsWorkload(base, cyc(g), {
        tenantHosts: num(p, "tenantHosts", g.tenantHosts),
        sizeSpread: num(p, "sizeSpread", g.sizeSpread),
        burstsPerWeek: num(p, "burstsPerWeek", g.burstsPerWeek),
      });
    }
  }
}

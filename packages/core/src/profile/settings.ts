import { z } from "zod";
import { keyFieldProblem, MAX_KEY_FIELDS } from "./fields.ts";

/**
 * Profiler and orchestrator settings, stored under `profiler` in the control database's settings
 * (edited on the console's Settings page, audited). Edges and the orchestrator job read them every
 * few seconds, so a change applies without a restart. Each stream may override the defaults.
 */
const sampleRate = z.number().min(0, "sample rate must be at least 0").max(1, "sample rate must be at most 1");
const healthThreshold = z.number().min(0, "health threshold must be at least 0").max(1, "health threshold must be at most 1");
const migrationWindowSec = z.number().int().min(10, "migration window must be at least 10 s").max(7 * 86_400, "migration window must be at most 7 days");
const maxShards = z.number().int().min(1, "max shards must be at least 1").max(100_000, "max shards must be at most 100000");

const keyField = z.string().superRefine((p, ctx) => {
  const problem = keyFieldProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const streamProfileSettingsSchema = z.strictObject({
  /** JSON paths into the payload profiled per shardlet (the event key is always profiled). */
  keyFields: z
    .array(keyField)
    .max(MAX_KEY_FIELDS, `at most ${MAX_KEY_FIELDS} key fields per stream`)
    .refine((a) => new Set(a).size === a.length, "key fields must not repeat")
    .default([]),
  sampleRate: sampleRate.optional(),
  healthThreshold: healthThreshold.optional(),
  migrationWindowSec: migrationWindowSec.optional(),
  maxShards: maxShards.optional(),
});

export const profilerSettingsSchema = z.strictObject({
  /** Profile at the edges and run the orchestrator. */
  enabled: z.boolean().default(true),
  /** Let the orchestrator apply its split proposals itself (moves always wait for approval). */
  autoApply: z.boolean().default(false),
  /** Share of events profiled (0 turns profiling off, 1 profiles every event). */
  sampleRate: sampleRate.default(0.05),
  /** Shardlets scoring below this get a proposal (or a note saying why none). */
  healthThreshold: healthThreshold.default(0.5),
  /** A move must be expected to finish within this long, or it is not proposed. */
  migrationWindowSec: migrationWindowSec.default(900),
  /** The orchestrator never takes a stream past this many live shardlets. */
  maxShards: maxShards.default(256),
  /** Ack or read p99 at which the latency component reaches 0.5. */
  latencyTargetMs: z.number().min(1, "latency target must be at least 1 ms").max(60_000, "latency target must be at most 60000 ms").default(250),
  /** How far back the orchestrator and the console read profiles. */
  windowSec: z.number().int().min(60, "profile window must be at least 60 s").max(86_400, "profile window must be at most 86400 s").default(900),
  /** Per stream (by name): key fields and overrides of the values above. */
  streams: z.record(z.string().min(1).max(200), streamProfileSettingsSchema).default({}),
});

export type ProfilerSettings = z.infer<typeof profilerSettingsSchema>;
export type StreamProfileSettings = z.infer<typeof streamProfileSettingsSchema>;

export const PROFILER_SETTINGS_KEY = "profiler";

export function parseProfilerSettings(stored: unknown): ProfilerSettings {
  return profilerSettingsSchema.parse(stored ?? {});
}

/** What applies to one stream: its overrides over the defaults. */
export interface EffectiveProfileSettings {
  enabled: boolean;
  keyFields: string[];
  sampleRate: number;
  healthThreshold: number;
  migrationWindowSec: number;
  maxShards: number;
  latencyTargetMs: number;
  windowSec: number;
  autoApply: boolean;
}

export function streamProfileSettings(s: ProfilerSettings, streamName: string): EffectiveProfileSettings {
  const o = Object.hasOwn(s.streams, streamName) ? s.streams[streamName] : undefined;
  return {
    enabled: s.enabled,
    keyFields: o?.keyFields ?? [],
    sampleRate: s.enabled ? (o?.sampleRate ?? s.sampleRate) : 0,
    healthThreshold: o?.healthThreshold ?? s.healthThreshold,
    migrationWindowSec: o?.migrationWindowSec ?? s.migrationWindowSec,
    maxShards: o?.maxShards ?? s.maxShards,
    latencyTargetMs: s.latencyTargetMs,
    windowSec: s.windowSec,
    autoApply: s.autoApply,
  };
}

import { z } from "zod";
import { HASH_SPACE, ROLES, storableString } from "@shardcast/core";

export const roleSchema = z.enum(ROLES);

export const sessionUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
});

/**
 * The id of a row (a cuid), a proposal or a job, as a procedure's input: bounded like every text the
 * console takes, so a request cannot make the server compare megabytes against an index.
 */
export function idString(message?: string) {
  return (message === undefined ? storableString.min(1) : storableString.min(1, message)).max(200, "an id has at most 200 characters");
}

export const emailSchema = storableString
  .trim()
  .min(1, "enter an email address")
  .max(320, "email is longer than 320 characters")
  .regex(/^[^\s@]+@[^\s@]+$/, "enter a valid email address");

export const newPasswordSchema = z
  .string()
  .min(8, "password must have at least 8 characters")
  .max(256, "password is longer than 256 characters");

export const rangeSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  /** First and last hash of the range as 8-digit hex (the range is [lo, hi), so last = hi - 1). */
  loHex: z.string(),
  lastHex: z.string(),
  /** Position of the range in the hash space, in percent. */
  startPct: z.number(),
  widthPct: z.number(),
});
export type RangeView = z.infer<typeof rangeSchema>;

const hex = (n: number) => "0x" + Math.max(0, n).toString(16).padStart(8, "0");

export function rangeView(lo: number, hi: number): RangeView {
  return {
    lo,
    hi,
    loHex: hex(lo),
    lastHex: hex(hi - 1),
    startPct: (lo / HASH_SPACE) * 100,
    widthPct: ((hi - lo) / HASH_SPACE) * 100,
  };
}

/** Fullness = size / capacity, clamped for display math; 0 when capacity is unknown. */
export function fullness(sizeBytes: number, capacityBytes: number): number {
  if (!(capacityBytes > 0)) return 0;
  return sizeBytes / capacityBytes;
}

/** Sealed history (what hand-offs left) of a host or a stream: how much, and when it expires. */
export const historyTotalsSchema = z.object({
  /** Sealed shardlets holding it. */
  shardlets: z.number(),
  sizeBytes: z.number(),
  eventCount: z.number(),
  /** When the first and the last of it expire (the stream's retention after each seal). */
  firstExpiresAt: z.date(),
  lastExpiresAt: z.date(),
});

/** Another host holding sealed history of a live shardlet's range; readers read it there until it expires. */
export const historyElsewhereSchema = z.object({
  hostId: z.string(),
  hostName: z.string(),
  shardlets: z.number(),
  sizeBytes: z.number(),
  eventCount: z.number(),
  expiresAt: z.date(),
});

export const operationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  message: z.string(),
  streamId: z.string().nullable(),
  shardletId: z.string().nullable(),
  hostId: z.string().nullable(),
  actor: z.string().nullable(),
  /** Structured facts of the operation (split point, children, rows moved, ...), when recorded. */
  details: z.record(z.string(), z.unknown()).nullable(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().nullable(),
});
export type OperationView = z.infer<typeof operationSchema>;

export const hostSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Redacted: the password and secret parameters are masked. */
  dsn: z.string(),
  status: z.enum(["active", "draining", "down"]),
  capacityBytes: z.number(),
  /** The configured (hand-entered) events/s figure. */
  capacityEventsPerSec: z.number(),
  /** An operator's figure, planned on while set. */
  capacityOverrideEventsPerSec: z.number().nullable(),
  /** What the host served before its writers' latency rose (null: no saturation seen in the evidence window). */
  measuredCapacityEventsPerSec: z.number().nullable(),
  measuredCapacityAt: z.date().nullable(),
  measuredCapacityNote: z.string().nullable(),
  /** The figure the analyzer and the capacity plan use, and which of the three it is. */
  effectiveCapacityEventsPerSec: z.number(),
  capacitySource: z.enum(["override", "measured", "configured"]),
  sizeBytes: z.number(),
  eventCount: z.number(),
  lastSeenAt: z.date().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  /** A drained host the capacity planner retired: it serves nothing and is shown as retired. */
  retiredAt: z.date().nullable(),
});
export type HostView = z.infer<typeof hostSchema>;

/** One save of a settings record as the console's audit lists show it. */
export const settingsAuditEntrySchema = z.object({
  id: z.number(),
  at: z.date(),
  actorEmail: z.string().nullable(),
  /** Only the fields that changed, each old -> new (a first save compares with the defaults). */
  changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })),
});
export type SettingsAuditEntry = z.infer<typeof settingsAuditEntrySchema>;

import { z } from "zod";

/** Largest byte count a member may report (256 TiB): beyond it the figure is noise, not memory. */
const MAX_BYTES = 2 ** 48;

/**
 * What a member reports about its own process with its polls and heartbeats (the SDK measures it;
 * docs/consumers.md, *Member telemetry*). Bounded so a broken client cannot store absurd figures:
 * the edge refuses anything outside with `400` and stores nothing.
 */
export const memberTelemetrySchema = z.strictObject({
  /** CPU time of the process over wall time since the previous report (1 = one core busy). */
  cpu: z.number().min(0, "cpu must not be negative").max(1024, "cpu must be at most 1024"),
  rssBytes: z.number().int().min(0).max(MAX_BYTES, "rssBytes is out of range"),
  heapUsedBytes: z.number().int().min(0).max(MAX_BYTES, "heapUsedBytes is out of range"),
  /** The event loop's delay (p99 since the previous report), ms. */
  loopLagMs: z.number().min(0, "loopLagMs must not be negative").max(3_600_000, "loopLagMs must be at most 3600000"),
  /** Events the handler processed over the recent window the SDK keeps... */
  events: z.number().int().min(0).max(1e9, "events must be at most 1e9"),
  /** ...and the handler time they took, ms: their ratio is the member's processing rate. */
  handlerMs: z.number().min(0).max(1e9, "handlerMs must be at most 1e9"),
});

export type MemberTelemetry = z.infer<typeof memberTelemetrySchema>;

/** Telemetry as stored (a column written by other versions too): null when it does not parse. */
export function parseMemberTelemetry(stored: unknown): MemberTelemetry | null {
  const r = memberTelemetrySchema.safeParse(stored);
  return r.success ? r.data : null;
}

/** Events per second of handler time (null without handler time to divide by). */
export function processingRate(t: Pick<MemberTelemetry, "events" | "handlerMs">): number | null {
  return t.handlerMs > 0 ? (t.events * 1000) / t.handlerMs : null;
}

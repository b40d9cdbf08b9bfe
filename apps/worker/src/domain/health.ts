import type { HostStatus } from "@shardcast/core";
import { redactSecrets } from "@shardcast/core";

export type HostChange = "host.down" | "host.up";

/**
 * A host that does not answer is `down`, whatever it was. A host that answers again goes back to
 * `active` only from `down`: `draining` is an operator's decision and a probe does not undo it.
 */
export function healthTransition(current: HostStatus, reachable: boolean): { next: HostStatus; change: HostChange | null } {
  if (!reachable) return { next: "down", change: current === "down" ? null : "host.down" };
  if (current === "down") return { next: "active", change: "host.up" };
  return { next: current, change: null };
}

/** Longest error text kept on a host row. */
export const MAX_ERROR_LENGTH = 500;

/** A probe failure as stored and shown: DSNs redacted, one line, bounded. */
export function probeErrorMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message || err.name : String(err);
  const line = redactSecrets(raw).replace(/\s+/g, " ").trim();
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line || "unknown error";
}

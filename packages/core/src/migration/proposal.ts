import { ShardcastError } from "../errors.ts";
import { MOVE_MODES, type MigrationOrigin, type MoveMode } from "./phases.ts";

/**
 * Whether a migration proposal may be stored, scheduled or started: checks of its fields and of
 * its premise (the shardlet and destination as they are now), without reading anything.
 */

export const MIGRATION_ORIGINS: readonly MigrationOrigin[] = ["rebalancer", "analyzer", "orchestrator", "manual", "drain", "prealloc", "placement"];

export interface NewMigrationProposal {
  streamId: string;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  origin: MigrationOrigin;
  reason: string;
  urgencySec?: number;
  expectedBenefit: number;
  expectedLoad: unknown;
  feasibility: unknown;
  bytesToMove: number;
  shardletEpoch: number;
  proposedBy?: string;
  phase?: "proposed" | "approved";
  /** Default: `defaultMoveMode(origin)`. */
  mode?: MoveMode;
}

type Rejected = Array<{ index: number; path: string; message: string }>;

/** Every invalid field at once, as `validation_failed` with one entry per field. */
export function checkMigrationProposal(p: NewMigrationProposal): void {
  const bad: Rejected = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) bad.push({ index: 0, path, message: `${path}: ${message}` });
  };
  for (const f of ["streamId", "shardletId", "sourceHostId", "destHostId"] as const) need(typeof p[f] === "string" && p[f].length > 0, f, "required");
  need(p.sourceHostId !== p.destHostId, "destHostId", "must differ from the source host");
  need(MIGRATION_ORIGINS.includes(p.origin), "origin", `must be one of ${MIGRATION_ORIGINS.join(", ")}`);
  need(typeof p.reason === "string" && p.reason.trim().length > 0 && p.reason.length <= 4000, "reason", "must have 1 to 4,000 characters");
  need(Number.isFinite(p.expectedBenefit), "expectedBenefit", "must be a finite number");
  need(Number.isFinite(p.bytesToMove) && p.bytesToMove >= 0, "bytesToMove", "must be a number of bytes >= 0");
  need(Number.isInteger(p.shardletEpoch) && p.shardletEpoch >= 0, "shardletEpoch", "must be a whole number >= 0");
  need(p.urgencySec === undefined || Number.isFinite(p.urgencySec), "urgencySec", "must be a finite number of seconds");
  need(p.phase === undefined || p.phase === "proposed" || p.phase === "approved", "phase", 'must be "proposed" or "approved"');
  need(p.mode === undefined || MOVE_MODES.includes(p.mode), "mode", `must be one of ${MOVE_MODES.join(", ")}`);
  if (bad.length > 0) throw new ShardcastError("validation_failed", `invalid migration proposal: ${bad.map((b) => b.message).join("; ")}`, { rejected: bad });
}

const MAX_SCHEDULE_AHEAD_MS = 90 * 86_400_000;
const PAST_GRACE_MS = 60_000;

/** A migration window an operator chose: it starts within 90 days (not in the past) and ends after it starts. */
export function checkMigrationWindow(window: { start: Date; end: Date }, now: Date): void {
  const bad: Rejected = [];
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (!Number.isFinite(start)) bad.push({ index: 0, path: "windowStart", message: "windowStart: enter a start time" });
  if (!Number.isFinite(end)) bad.push({ index: 0, path: "windowEnd", message: "windowEnd: enter an end time" });
  if (bad.length === 0) {
    if (start < now.getTime() - PAST_GRACE_MS) bad.push({ index: 0, path: "windowStart", message: "windowStart: the window must start in the future" });
    if (end <= start) bad.push({ index: 0, path: "windowEnd", message: "windowEnd: the window must end after it starts" });
    if (start > now.getTime() + MAX_SCHEDULE_AHEAD_MS) bad.push({ index: 0, path: "windowStart", message: "windowStart: the window must start within 90 days" });
  }
  if (bad.length > 0) throw new ShardcastError("validation_failed", bad.map((b) => b.message).join("; "), { rejected: bad });
}

/** What a proposal was made against: its shardlet's host and epoch then. */
export interface ProposalPremise {
  sourceHostId: string;
  shardletEpoch: number;
}

/** The shardlet now (null: gone). */
export interface ShardletNow {
  state: string;
  epoch: number;
  hostId: string;
}

/** The destination host now (null: no longer registered). */
export interface DestinationNow {
  status: string;
  name: string;
}

/**
 * Refuses to start a migration whose premise no longer holds: the shardlet was split, merged or
 * moved since it was proposed (its epoch changed), or the destination stopped taking data.
 */
export function checkMigrationPremise(m: ProposalPremise, s: ShardletNow | null, dest: DestinationNow | null): void {
  if (!s || s.state === "retired") {
    throw new ShardcastError("conflict", "The shardlet no longer exists (it was split or merged since this was proposed); reject the proposal.", { reason: "stale" });
  }
  if (s.state === "sealed") throw new ShardcastError("conflict", "The shardlet was handed off to another host since this was proposed; reject the proposal.", { reason: "stale" });
  if (s.hostId !== m.sourceHostId) throw new ShardcastError("conflict", "The shardlet moved to another host since this was proposed; reject the proposal.", { reason: "stale" });
  if (s.epoch !== m.shardletEpoch) {
    throw new ShardcastError("conflict", `The shardlet changed since this was proposed (epoch ${m.shardletEpoch} -> ${s.epoch}); reject the proposal.`, { reason: "stale" });
  }
  if (!dest) throw new ShardcastError("conflict", "The destination host is no longer registered.");
  if (dest.status !== "active") throw new ShardcastError("conflict", `The destination host ${dest.name} is ${dest.status}; moves go only to active hosts.`);
}

/**
 * Why an open proposal should be withdrawn (null: it still stands): the shardlet changed (split,
 * merged, moved: its epoch or host differs), the destination stopped taking data, or nobody
 * decided within `ttlMs`.
 */
export function staleProposalReason(
  m: ProposalPremise & { createdAt: Date },
  s: ShardletNow | undefined,
  dest: DestinationNow | undefined,
  opts: { now: Date; ttlMs: number },
): string | null {
  if (!s || s.state === "retired") return "the shardlet no longer exists (split or merged since)";
  if (s.state === "sealed") return "the shardlet was handed off to another host since";
  if (s.hostId !== m.sourceHostId || s.epoch !== m.shardletEpoch) return `the shardlet changed since (epoch ${m.shardletEpoch} -> ${s.epoch})`;
  if (!dest || dest.status !== "active") return `the destination ${dest?.name ?? "host"} is ${dest?.status ?? "gone"}`;
  if (m.createdAt.getTime() < opts.now.getTime() - opts.ttlMs) return `nobody decided within ${Math.round(opts.ttlMs / 60_000)} min and the loads have moved on`;
  return null;
}

/** What a migrate proposal of the analyzer carries for the migration workflow (in its details). */
export interface MigrateProposalDetails {
  bytesToMove: number;
  expectedLoad: Record<string, { before: number; after: number }>;
  feasibility: Record<string, { ok: boolean; detail: string }>;
  shardletEpoch: number;
}

/** Reads a migrate proposal's stored details; missing or malformed fields count as none. */
export function parseMigrateDetails(details: Record<string, unknown> | null): MigrateProposalDetails {
  const d = details ?? {};
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    bytesToMove: n(d.bytesToMove),
    expectedLoad: (typeof d.expectedLoad === "object" && d.expectedLoad !== null ? d.expectedLoad : {}) as MigrateProposalDetails["expectedLoad"],
    feasibility: (typeof d.feasibility === "object" && d.feasibility !== null ? d.feasibility : {}) as MigrateProposalDetails["feasibility"],
    shardletEpoch: n(d.shardletEpoch),
  };
}

/**
 * Whether the shardlet a migrate proposal was forecast for changed since (split, merged, moved:
 * its epoch or host differs); an epoch of 0 in the details means it was not recorded.
 */
export function migrateProposalIsStale(p: { sourceHostId: string }, details: MigrateProposalDetails, s: ShardletNow | null): boolean {
  return !s || s.state !== "active" || s.hostId !== p.sourceHostId || (details.shardletEpoch > 0 && s.epoch !== details.shardletEpoch);
}

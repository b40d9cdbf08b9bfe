import type { PreallocDecision, PreallocGateVerdict } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { finishOperation, operationData, recordOperation } from "../operations.ts";
import { xactLock } from "../xact-lock.ts";
import type { Prisma } from "../generated/prisma/client.ts";

/**
 * Pre-allocations live in the operations log (kind `prealloc.prepare`): `running` while open
 * (being prepared, or prepared and waiting for its surge), then `succeeded` with the outcome
 * (`hit`: the surge came; `released`: it did not, and the parts were merged back) or `failed`.
 * Each run of the pre-allocator adds a `prealloc.run` record with its decisions (why and why not).
 */
export const PREALLOC_KIND = "prealloc.prepare";
export const PREALLOC_RUN_KIND = "prealloc.run";

export type PreallocStage = "preparing" | "prepared";
export type PreallocOutcome = "hit" | "released" | "failed";

export interface PreallocDetails {
  stage: PreallocStage;
  outcome?: PreallocOutcome;
  probability: number;
  cause: string | null;
  splitAt: number | null;
  /** Cuts that give the announced keys a part of their own (first hashes of the parts after them). */
  cuts?: number[];
  /** A hash of the announced keys: the part holding it is the hot part. */
  anchorHash?: number;
  /** The shardlet's range when it was prepared (its parts stay within it). */
  range?: [number, number];
  /** The lifecycle job of the split in progress (set before it runs, so a restarted worker finds it), and all of them. */
  jobId?: string;
  jobIds?: string[];
  /** Children of the split (left, right) and the one that takes the predicted load. */
  childIds?: string[];
  hotChildId?: string;
  preparedAtMs: number;
  /** Past this, with no surge, the parts are merged back. */
  releaseAtMs: number;
  /** Events the hot part held when it was prepared (its surge is counted from there). */
  eventsAtPrepare?: number;
  reason: string;
  /** The merges that released it. */
  mergeJobIds?: string[];
  /**
   * The host with headroom the hot part goes to (when its own host cannot take the surge) and the
   * writes it is expected to take there: stored when the pre-allocation opens, so a worker that dies
   * between the cuts and the move leaves what the next run needs to make the move.
   */
  destHostId?: string;
  moveWritesPerSec?: number;
  /** The migration that moves the hot part there, or why it could not be made (the part stays where it is). */
  moveMigrationId?: string;
  moveError?: string;
  /** The migration that brings a moved part back before a release merges it. */
  returnMigrationId?: string;
  /** Events its own splits and merges sent to the overflow log (the contention it caused), set when it closes. */
  contentionEvents?: number;
  /** The decision's figures (fallbacks a hit saves, what preparing costs): the skill gate weighs outcomes with them. */
  fallbacksIfReactive?: number;
  cost?: number;
}

export interface Preallocation {
  id: string;
  streamId: string;
  shardletId: string;
  status: string;
  message: string;
  details: PreallocDetails;
  startedAt: Date;
}

function toPreallocation(row: { id: string; streamId: string | null; shardletId: string | null; status: string; message: string; details: unknown; startedAt: Date }): Preallocation {
  return { id: row.id, streamId: row.streamId ?? "", shardletId: row.shardletId ?? "", status: row.status, message: row.message, details: row.details as PreallocDetails, startedAt: row.startedAt };
}

/**
 * Opens a pre-allocation, unless one is open already for the shardlet (as its original or one of
 * its parts): then nothing is stored and that one's id comes back with `created: false`. Two runs
 * of the pre-allocator that both read no open record would otherwise both split the shardlet and
 * each own the same parts. Openings in a stream are serialised with a transaction-scoped advisory lock.
 */
export async function recordPreallocation(
  db: ControlDb,
  p: { streamId: string; shardletId: string; message: string; details: PreallocDetails },
): Promise<{ id: string; created: boolean }> {
  return db.$transaction(async (tx) => {
    await xactLock(tx, `prealloc:${p.streamId}`);
    const open = await tx.operation.findMany({
      where: { kind: PREALLOC_KIND, status: "running", streamId: p.streamId },
      select: { id: true, shardletId: true, details: true },
      orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    });
    const owner = open.find((o) => o.shardletId === p.shardletId || ((o.details as PreallocDetails | null)?.childIds ?? []).includes(p.shardletId));
    if (owner) return { id: owner.id, created: false };
    const row = await tx.operation.create({
      data: operationData({ kind: PREALLOC_KIND, status: "running", message: p.message, streamId: p.streamId, shardletId: p.shardletId, actor: "prealloc", details: { ...p.details } }),
      select: { id: true },
    });
    return { id: row.id, created: true };
  });
}

/** Replaces an open pre-allocation's details (stage, job, children). */
export async function updatePreallocation(db: ControlDb, id: string, details: PreallocDetails): Promise<void> {
  await db.operation.update({ where: { id }, data: { details: details as unknown as Prisma.InputJsonValue } });
}

/** Closes a pre-allocation with its outcome. */
export async function closePreallocation(db: ControlDb, id: string, details: PreallocDetails, message: string): Promise<void> {
  await finishOperation(db, id, { status: details.outcome === "failed" ? "failed" : "succeeded", message, details: { ...details } });
}

/** Open pre-allocations (being prepared or waiting for their surge), oldest first. */
export async function listOpenPreallocations(db: ControlDb, streamId?: string): Promise<Preallocation[]> {
  const rows = await db.operation.findMany({
    where: { kind: PREALLOC_KIND, status: "running", ...(streamId ? { streamId } : {}) },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    take: 1_000,
  });
  return rows.map(toPreallocation);
}

/** The newest pre-allocations, open and closed. */
export async function listPreallocations(db: ControlDb, q: { limit: number; streamId?: string }): Promise<Preallocation[]> {
  const rows = await db.operation.findMany({
    where: { kind: PREALLOC_KIND, ...(q.streamId ? { streamId: q.streamId } : {}) },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(q.limit, 1_000)),
  });
  return rows.map(toPreallocation);
}

/** Outcome counts of closed pre-allocations: what was used, what was wasted. */
export async function countPreallocOutcomes(db: ControlDb, streamId?: string): Promise<Record<PreallocOutcome | "open", number>> {
  const rows = await db.operation.findMany({ where: { kind: PREALLOC_KIND, ...(streamId ? { streamId } : {}) }, select: { status: true, details: true }, take: 10_000 });
  const out: Record<PreallocOutcome | "open", number> = { hit: 0, released: 0, failed: 0, open: 0 };
  for (const r of rows) {
    const outcome = (r.details as PreallocDetails | null)?.outcome;
    if (r.status === "running") out.open++;
    else if (outcome) out[outcome]++;
  }
  return out;
}

/** One run of the pre-allocator: every candidate's decision (at most 100), the model's version and quality. */
export async function recordPreallocRun(
  db: ControlDb,
  run: {
    streamId: string | null;
    decisions: PreallocDecision[];
    prepared: number;
    released: number;
    hits: number;
    /** The skill gate's verdict per stream weighed, and the shadows opened and settled. */
    gates?: Record<string, PreallocGateVerdict>;
    shadows?: { opened: number; hits: number; released: number };
    modelVersion: number | null;
    quality: unknown;
    durationMs: number;
  },
): Promise<{ id: string }> {
  return recordOperation(db, {
    kind: PREALLOC_RUN_KIND,
    status: "succeeded",
    message:
      `${run.decisions.length} candidate${run.decisions.length === 1 ? "" : "s"}, ${run.prepared} prepared, ${run.hits} used, ${run.released} released` +
      (run.shadows && run.shadows.opened + run.shadows.hits + run.shadows.released > 0
        ? `; skill gate shadows: ${run.shadows.opened} opened, ${run.shadows.hits} would have been used, ${run.shadows.released} wasted`
        : ""),
    streamId: run.streamId,
    actor: "prealloc",
    durationMs: run.durationMs,
    details: {
      decisions: run.decisions.slice(0, 100),
      prepared: run.prepared,
      released: run.released,
      hits: run.hits,
      gates: run.gates ?? {},
      shadows: run.shadows ?? { opened: 0, hits: 0, released: 0 },
      modelVersion: run.modelVersion,
      quality: run.quality,
    },
  });
}

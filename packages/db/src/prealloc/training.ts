import type { ControlDb } from "../client.ts";
import { listOperations, recordOperation } from "../operations.ts";

export const PREALLOC_TRAIN_KIND = "prealloc.train";

interface Quality {
  precision: number | null;
  recall: number | null;
  alerts: number;
  onsets: number;
}

/** One stream's default content model from a training run on its stored history. */
export interface PreallocTrainingStream {
  streamId: string;
  stream: string;
  events: number;
  /** installed: edges without a model of their own start from it; kept: edges already had one; worse / skipped: not installed. */
  outcome: "installed" | "kept" | "worse" | "skipped";
  note: string;
  version: number | null;
  heldOut: Quality | null;
  baseline: Quality | null;
}

export interface PreallocTraining {
  id: string;
  at: Date;
  actor: string | null;
  durationMs: number | null;
  streams: PreallocTrainingStream[];
}

/** Stores a training run of the default content models (one operation, every stream's outcome). */
export async function recordPreallocTraining(
  db: ControlDb,
  run: { actor: string | null; durationMs: number; streams: PreallocTrainingStream[] },
): Promise<{ id: string }> {
  const installed = run.streams.filter((s) => s.outcome === "installed").length;
  return recordOperation(db, {
    kind: PREALLOC_TRAIN_KIND,
    status: "succeeded",
    message: `default content models trained on history: ${run.streams.length} streams, ${installed} installed`,
    actor: run.actor,
    durationMs: run.durationMs,
    details: { streams: run.streams },
  });
}

/** The latest training run of the default content models, if any. */
export async function getLatestPreallocTraining(db: ControlDb): Promise<PreallocTraining | null> {
  const [op] = await listOperations(db, { limit: 1, kind: PREALLOC_TRAIN_KIND });
  if (!op) return null;
  const streams = (op.details as { streams?: PreallocTrainingStream[] } | null)?.streams ?? [];
  return { id: op.id, at: op.startedAt, actor: op.actor, durationMs: op.durationMs, streams };
}

import { ShardcastError } from "@shardcast/core";
import { createModelVersion, restartModelVersion, unfinishedVersionsOfJob, updateModelProgress, type ModelVersionInfo, type TrainableModelKind } from "@shardcast/db";
import type { JobPayload } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";

const PROGRESS_EVERY_MS = 250;

function kindsOf(kind: JobPayload<"model.train">["kind"]): TrainableModelKind[] {
  return kind === "all" ? ["holt_winters", "lstm"] : [kind];
}

/** Progress of one version row, written at most every 250 ms (stage changes always). */
export function progressOf(deps: WorkerDeps, id: string, onAny: () => Promise<void>): (fraction: number, note: string, force?: boolean) => Promise<void> {
  let last = -Infinity;
  return async (fraction, note, force = false) => {
    const now = performance.now();
    if (!force && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    await updateModelProgress(deps.db, id, fraction, note);
    await onAny();
  };
}

/** The rows this run trains: the one named in the payload, those a failed attempt left, or new ones. */
export async function versionsFor(deps: WorkerDeps, payload: JobPayload<"model.train">, jobId: string): Promise<ModelVersionInfo[]> {
  if (payload.versionId) {
    const v = await restartModelVersion(deps.db, payload.versionId);
    if (v.kind === "seasonal_naive") throw new ShardcastError("bad_request", "seasonal naive has nothing to train");
    return [v];
  }
  const left = jobId ? await unfinishedVersionsOfJob(deps.db, jobId) : [];
  const out: ModelVersionInfo[] = [];
  for (const kind of kindsOf(payload.kind)) {
    const prior = left.find((v) => v.kind === kind);
    out.push(
      prior
        ? await restartModelVersion(deps.db, prior.id)
        : await createModelVersion(deps.db, { kind, trigger: payload.trigger, actor: payload.actor ?? null, jobId: jobId || null }),
    );
  }
  return out;
}

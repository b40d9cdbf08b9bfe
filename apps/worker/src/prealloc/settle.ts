import type { PreallocSettings } from "@shardcast/core";
import { closePreallocation, contentionOfJobs, updatePreallocation, type Preallocation, type PreallocDetails } from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runShardletMerge } from "../processors/shardlet-merge.ts";
import { ownParts } from "./parts.ts";
import { movePart } from "./placement.ts";
import { applyCuts, eventsOf, liveTable, moveHotPart, type PreallocRunResult } from "./prepare.ts";

/** The contention a pre-allocation's own splits and merges caused, for its closing message. */
function contended(events: number): string {
  return events > 0 ? `; its splits and merges sent ${events} events to the overflow log` : "; its splits and merges sent no event to the overflow log";
}

/** Events a prepared part must take after its preparation to count as used (a surge's worth). */
function hitThreshold(s: PreallocSettings): number {
  return s.minSurgeEvents * 2;
}

/**
 * Whether every part of a released pre-allocation is on one host; if not, the parts away from the
 * first part's host are moved back (an approved migration each) and the release waits for them.
 */
async function partsHome(deps: WorkerDeps, queue: JobQueue | undefined, p: Preallocation, d: PreallocDetails): Promise<boolean> {
  const parts = ownParts(await liveTable(deps, p.streamId), d);
  const home = parts[0]?.hostId;
  const away = parts.filter((r) => r.hostId !== home);
  if (!home || away.length === 0) return true;
  const ids: string[] = [];
  for (const r of away) {
    const id = await movePart(deps, queue, { streamId: p.streamId, shardletId: r.id, destHostId: home, reason: `pre-allocation ${p.id} released: no surge came; the part moves back before its parts merge`, expectedWritesPerSec: 0 });
    if (id) ids.push(id);
  }
  if (ids[0] && ids[0] !== d.returnMigrationId) await updatePreallocation(deps.db, p.id, { ...d, returnMigrationId: ids[0] });
  return false;
}

export async function settle(deps: WorkerDeps, settings: PreallocSettings, p: Preallocation, result: PreallocRunResult, queue: JobQueue | undefined): Promise<void> {
  let d = p.details;
  if (d.stage === "preparing") {
    // A worker died while preparing: finish the splits it started (a lifecycle job resumes from
    // its persisted phase), make the cuts it had not made, then the move it had not made.
    const prepared = await applyCuts(deps, p.streamId, p.id, d, result, `pre-allocation resumed: ${d.reason}`);
    if (!prepared) return;
    result.resumed.push(p.id);
    await moveHotPart(deps, queue, { id: p.id, streamId: p.streamId, details: prepared });
    return;
  }
  const hot = d.hotChildId;
  if (!hot || !d.childIds) return;
  // A worker that died between the "prepared" record and the move leaves it to be made here.
  d = await moveHotPart(deps, queue, { id: p.id, streamId: p.streamId, details: d });
  const events = Math.max(0, (await eventsOf(deps, hot)) - (d.eventsAtPrepare ?? 0));
  if (events >= hitThreshold(settings)) {
    const contention = await contentionOfJobs(deps.db, d.jobIds ?? []);
    await closePreallocation(deps.db, p.id, { ...d, outcome: "hit", contentionEvents: contention }, `used: the prepared part took ${events} events${contended(contention)}`);
    result.hits.push(p.id);
    return;
  }
  if (deps.clock() < d.releaseAtMs) return;
  // Wrong prediction: give the reserved shardlets back (merge its own parts through the lifecycle merge).
  // A part that moved away comes home first: only siblings on one host merge.
  if (!(await partsHome(deps, queue, p, d))) return;
  const mergeJobs: string[] = [];
  let others = false;
  for (;;) {
    const parts = ownParts(await liveTable(deps, p.streamId), d);
    if (parts.length < 2) break;
    // Only neighbours merge: a gap is a part another job split meanwhile, left as it is.
    const i = parts.findIndex((r, k) => parts[k + 1]?.lo === r.hi);
    const left = parts[i];
    const right = parts[i + 1];
    if (!left || !right) {
      others = true;
      break;
    }
    const merged = await runShardletMerge(deps, { leftId: left.id, rightId: right.id, reason: `pre-allocation released: no surge within the horizon and grace (${events} events)`, actor: "prealloc" });
    if (merged.status !== "done") {
      deps.log.warn("could not merge back a pre-allocation; retried next run", { preallocation: p.id, merge: merged });
      return;
    }
    mergeJobs.push(merged.jobId);
  }
  const contention = await contentionOfJobs(deps.db, [...(d.jobIds ?? []), ...mergeJobs]);
  const left = others ? "; parts other jobs split meanwhile were left as they are" : "";
  await closePreallocation(
    deps.db,
    p.id,
    { ...d, outcome: "released", mergeJobIds: mergeJobs, contentionEvents: contention },
    `released: no surge (${events} events); parts merged back${left}${contended(contention)}`,
  );
  result.released.push(p.id);
}

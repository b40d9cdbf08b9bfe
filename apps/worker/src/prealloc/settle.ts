import type { PreallocSettings } from "@shardcast/core";
import { closePreallocation, contentionOfJobs, updatePreallocation, type Preallocation } from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runShardletMerge } from "../processors/shardlet-merge.ts";
import { movePart } from "./placement.ts";
import { applyCuts, eventsOf, liveTable, type PreallocRunResult } from "./prepare.ts";

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
async function partsHome(deps: WorkerDeps, queue: JobQueue | undefined, p: Preallocation, lo: number, hi: number): Promise<boolean> {
  const parts = (await liveTable(deps, p.streamId)).all().filter((r) => r.lo >= lo && r.hi <= hi && r.state === "active").sort((x, y) => x.lo - y.lo);
  const home = parts[0]?.hostId;
  const away = parts.filter((r) => r.hostId !== home);
  if (!home || away.length === 0) return true;
  const ids: string[] = [];
  for (const r of away) {
    const id = await movePart(deps, queue, { streamId: p.streamId, shardletId: r.id, destHostId: home, reason: `pre-allocation ${p.id} released: no surge came; the part moves back before its parts merge`, expectedWritesPerSec: 0 });
    if (id) ids.push(id);
  }
  if (ids[0] && ids[0] !== p.details.returnMigrationId) await updatePreallocation(deps.db, p.id, { ...p.details, returnMigrationId: ids[0] });
  return false;
}


export async function settle(deps: WorkerDeps, settings: PreallocSettings, p: Preallocation, result: PreallocRunResult, queue: JobQueue | undefined): Promise<void> {
  const d = p.details;
  if (d.stage === "preparing") {
    // A worker died while preparing: finish the splits it started (a lifecycle job resumes from
    // its persisted phase) and make the cuts it had not made.
    if (await applyCuts(deps, p.streamId, p.id, d, result, `pre-allocation resumed: ${d.reason}`)) result.resumed.push(p.id);
    return;
  }
  const hot = d.hotChildId;
  if (!hot || !d.childIds) return;
  const events = (await eventsOf(deps, hot)) - (d.eventsAtPrepare ?? 0);
  if (events >= hitThreshold(settings)) {
    const contention = await contentionOfJobs(deps.db, d.jobIds ?? []);
    await closePreallocation(deps.db, p.id, { ...d, outcome: "hit", contentionEvents: contention }, `used: the prepared part took ${events} events${contended(contention)}`);
    result.hits.push(p.id);
    return;
  }
  if (deps.clock() < d.releaseAtMs) return;
  // Wrong prediction: give the reserved shardlets back (merge the parts through the lifecycle merge).
  const [lo, hi] = d.range ?? [0, 0];
  // A part that moved away comes home first: only siblings on one host merge.
  if (!(await partsHome(deps, queue, p, lo, hi))) return;
  const mergeJobs: string[] = [];
  for (;;) {
    const parts = (await liveTable(deps, p.streamId)).all().filter((r) => r.lo >= lo && r.hi <= hi && r.state === "active").sort((x, y) => x.lo - y.lo);
    if (parts.length < 2) break;
    const merged = await runShardletMerge(deps, { leftId: parts[0]!.id, rightId: parts[1]!.id, reason: `pre-allocation released: no surge within the horizon and grace (${events} events)`, actor: "prealloc" });
    if (merged.status !== "done") {
      deps.log.warn("could not merge back a pre-allocation; retried next run", { preallocation: p.id, merge: merged });
      return;
    }
    mergeJobs.push(merged.jobId);
  }
  const contention = await contentionOfJobs(deps.db, [...(d.jobIds ?? []), ...mergeJobs]);
  await closePreallocation(
    deps.db,
    p.id,
    { ...d, outcome: "released", mergeJobIds: mergeJobs, contentionEvents: contention },
    `released: no surge (${events} events); parts merged back${contended(contention)}`,
  );
  result.released.push(p.id);
}

import { getConsumerGroupState, raiseGenerationFloor, type ConsumerGroupInfo, type ControlDb, type FloorRaised } from "@shardcast/db";
import type { ConsumerProgress } from "@shardcast/runtime";

/**
 * After Redis refused a member's commits by their fences: whether a fence is above the generation
 * the control database gives the member for that shardlet, which only a restore of that database
 * (Redis keeping its keys) leaves behind, since a fence is raised only to generations the database
 * handed out and a shardlet's generation only grows. Then every held shardlet of the group below
 * its fence is re-taken by its holder above the fences (`raiseGenerationFloor`); otherwise their
 * commits would be refused until reassignments happened to pass the fences, and the group would
 * never move on. The refused commits stay refused: the next poll brings the new generations and
 * the commits after that land.
 *
 * The cheap checks come first, outside the group's lock: the usual refusal (a holder that lost the
 * shardlet, its successor's fence at the successor's generation) costs two reads and changes nothing.
 */
export async function liftStaleFences(deps: { db: ControlDb; progress: ConsumerProgress }, g: ConsumerGroupInfo, memberId: string, fencedIds: readonly string[]): Promise<FloorRaised | null> {
  if (fencedIds.length === 0) return null;
  const [fences, state] = await Promise.all([deps.progress.fences(g.id, fencedIds), getConsumerGroupState(deps.db, g.id)]);
  if (!state) return null;
  const fenced = new Set(fencedIds);
  const restored = state.assignments.some((a) => a.memberId === memberId && fenced.has(a.shardletId) && (fences.get(a.shardletId) ?? 0) > a.generation);
  if (!restored) return null;
  // Every held shardlet's fence, so all those a restore left behind are lifted in one raise.
  const held = state.assignments.filter((a) => a.memberId !== null).map((a) => a.shardletId);
  // Checked again under the lock: a reassignment or a concurrent raise may have come first.
  return raiseGenerationFloor(deps.db, g.id, await deps.progress.fences(g.id, held), memberId);
}

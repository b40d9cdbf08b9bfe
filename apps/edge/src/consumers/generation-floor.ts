import { getConsumerGroupState, raiseGenerationFloor, type ConsumerGroupInfo, type FloorRaised } from "@shardcast/db";
import type { CursorDeps } from "./group-cursors.ts";

/**
 * After Redis refused a member's commits by their fences: whether those fences are above anything
 * the control database has handed out, which only a restore of that database (Redis keeping its
 * keys) leaves behind. Then the member, if it still holds the shardlets, re-takes them above the
 * fences (`raiseGenerationFloor`); otherwise its commits would be refused until reassignments
 * happened to pass the fences, and the group would never move on. The refused commits stay
 * refused: the member's next poll brings the new generations and its commits after that land.
 *
 * The cheap checks come first, outside the group's lock: a refusal of a holder that lost its
 * shardlet (the usual reason) costs two reads and changes nothing.
 */
export async function liftStaleFences(deps: CursorDeps, g: ConsumerGroupInfo, memberId: string, fencedIds: readonly string[]): Promise<FloorRaised | null> {
  if (fencedIds.length === 0) return null;
  const [fences, state] = await Promise.all([deps.progress.fences(g.id, fencedIds), getConsumerGroupState(deps.db, g.id)]);
  if (!state) return null;
  const ahead = new Map<string, number>();
  for (const a of state.assignments) {
    const fence = fences.get(a.shardletId);
    if (a.memberId === memberId && fence !== undefined && fence > a.generation && fence > state.group.generation) ahead.set(a.shardletId, fence);
  }
  // Checked again under the lock: a concurrent refusal may have raised the counter already.
  return ahead.size > 0 ? raiseGenerationFloor(deps.db, g.id, memberId, ahead) : null;
}

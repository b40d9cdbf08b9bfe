/**
 * Whether a read's routes were stale, told by the fences the read found on a host, in the read's
 * own snapshot or just after it. A shardlet the route puts on that host alone must have its fence
 * there, not `moved`: `moved` says its rows are being deleted after a migration, and no fence says
 * the cleanup that follows a move has finished (its rows are gone). Every route to a host is backed
 * by a fence written before the route was (stream creation, split, merge, migration switch), so a
 * missing one is never a shardlet that simply has not been written yet.
 */
export function staleRoute(routedHere: Iterable<string>, fences: ReadonlyArray<{ shardletId: string; state: string }>): boolean {
  const states = new Map(fences.map((f) => [f.shardletId, f.state]));
  for (const id of routedHere) {
    const state = states.get(id);
    if (state === undefined || MOVED_AWAY.has(state)) return true;
  }
  return false;
}

/** Fence states that say the shardlet's rows are no longer (or soon no longer) on that host. */
export const MOVED_AWAY: ReadonlySet<string> = new Set(["moved"]);

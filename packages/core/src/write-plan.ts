import { ShardcastError } from "./errors.ts";
import type { RoutingTable } from "./routing.ts";
import type { ShardletRoute } from "./types.ts";

/** What the plan needs of an event about to be written: its key hash and its producer's id. */
export interface PlannedEvent {
  hash: number;
  event: { id: string | null };
}

export interface WritePlanInput {
  table: RoutingTable;
  /** The stream's shards by id: a shard's overflow log lives on its home host. */
  shards: ReadonlyMap<string, { homeHostId: string }>;
  /** Whether a job holds the shardlet's op-lock (the edge's view). */
  isLocked: (shardletId: string) => boolean;
  /** Shardlets whose fence refused the previous attempt, with the epoch that attempt used. */
  refused: ReadonlyMap<string, number>;
}

export interface WritePlan<P> {
  /** The fast path: host -> shardlet -> events, one fenced statement per host. */
  fast: Map<string, Map<string, P[]>>;
  /** The fallback: shard home host -> shardlet -> its shard and events, appended to the overflow log. */
  overflow: Map<string, Map<string, { shardId: string; group: P[] }>>;
  /**
   * Fast-path events with ids that another host may already store (the overflow log of a range
   * flagged overflow-pending, the history a hand-off left): looked up there before the write, then
   * added with `addFast` unless stored already.
   */
  flagged: Array<{ p: P; route: ShardletRoute; id: string; hostIds: readonly string[] }>;
}

const NO_HOSTS: readonly string[] = [];

/** Hosts besides the route's own that may already store an event id of its range. */
export function idHostsElsewhere(route: ShardletRoute, homeHostId: string | undefined): readonly string[] {
  const history = route.historyHostIds ?? NO_HOSTS;
  if (!route.overflowPending || homeHostId === undefined) return history;
  return history.length === 0 ? [homeHostId] : [homeHostId, ...history];
}

/** Puts an event on the fast path of its route's host. */
export function addFast<P>(plan: WritePlan<P>, p: P, route: ShardletRoute): void {
  let parts = plan.fast.get(route.hostId);
  if (!parts) plan.fast.set(route.hostId, (parts = new Map<string, P[]>()));
  const g = parts.get(route.id);
  if (g) g.push(p);
  else parts.set(route.id, [p]);
}

/**
 * Takes the fast-path events of shardlets `isHeld` names out of the plan and returns them: an
 * op-lock that asked edges to hold those shardlets' writes came while the plan was being made
 * (while its ids were looked up), and a write sent now would meet the fence the lock is about to
 * raise. They wait for the lock and are planned again with the routes it leaves.
 */
export function holdBack<P>(plan: WritePlan<P>, isHeld: (shardletId: string) => boolean): P[] {
  const out: P[] = [];
  for (const [hostId, parts] of plan.fast) {
    for (const [shardletId, group] of parts) {
      if (!isHeld(shardletId)) continue;
      out.push(...group);
      parts.delete(shardletId);
    }
    if (parts.size === 0) plan.fast.delete(hostId);
  }
  return out;
}

/**
 * Where each event of an attempt goes. A shardlet that is active, not op-locked and not refused
 * again at the same epoch takes its events on the fast path; any other (locked or changing, or
 * refused at the epoch the fresh route still has: the change is in progress) sends them to its
 * shard's overflow log. Pure, so the write path's decisions are tested and timed on their own; the
 * edge does the I/O.
 */
export function planWrite<P extends PlannedEvent>(pending: readonly P[], input: WritePlanInput): WritePlan<P> {
  const plan: WritePlan<P> = { fast: new Map(), overflow: new Map(), flagged: [] };
  const { table, shards, isLocked, refused } = input;
  for (const p of pending) {
    const route = table.lookup(p.hash);
    if (route.state === "active" && !isLocked(route.id) && refused.get(route.id) !== route.epoch) {
      const id = p.event.id;
      const hostIds = id === null ? NO_HOSTS : idHostsElsewhere(route, shards.get(route.shardId)?.homeHostId);
      if (id !== null && hostIds.length > 0) plan.flagged.push({ p, route, id, hostIds });
      else addFast(plan, p, route);
      continue;
    }
    const shard = shards.get(route.shardId);
    if (!shard) throw new ShardcastError("internal", `shard ${route.shardId} of shardlet ${route.id} is not in the routing table`);
    let parts = plan.overflow.get(shard.homeHostId);
    if (!parts) plan.overflow.set(shard.homeHostId, (parts = new Map<string, { shardId: string; group: P[] }>()));
    const g = parts.get(route.id);
    if (g) g.group.push(p);
    else parts.set(route.id, { shardId: route.shardId, group: [p] });
  }
  return plan;
}

const NONE_REFUSED: ReadonlyMap<string, number> = new Map();

/**
 * The ids of a batch that its first attempt's plan would look up on other hosts (its
 * `WritePlan.flagged`, by the same rule since it is that plan), before the batch takes its sequence
 * numbers: the edge sends this lookup beside its request for them instead of after it. Empty,
 * without planning, when the table has no such range.
 */
export function earlyIdLookups(events: readonly PlannedEvent[], input: Omit<WritePlanInput, "refused">): Array<{ id: string; hostIds: readonly string[] }> {
  if (!input.table.idsElsewhere) return [];
  return planWrite(events, { ...input, refused: NONE_REFUSED }).flagged.map(({ id, hostIds }) => ({ id, hostIds }));
}

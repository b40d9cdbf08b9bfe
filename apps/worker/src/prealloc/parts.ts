import type { RoutingTable, ShardletRoute } from "@shardcast/core";
import type { Preallocation, PreallocDetails } from "@shardcast/db";

/**
 * The active shardlets that are a pre-allocation's own parts, left to right: inside its range,
 * both ends on its range's ends or its cuts. A part another job split since has an end that is
 * neither, so it is not one: a release merges back what the pre-allocation made, never what the
 * reactive manager, the orchestrator or another pre-allocation made meanwhile. Being geometric,
 * it needs no bookkeeping a dead worker could leave half-written.
 */
export function ownParts(table: RoutingTable, d: PreallocDetails): ShardletRoute[] {
  if (!d.range) return [];
  const [lo, hi] = d.range;
  const ends = new Set([lo, hi, ...(d.cuts ?? [])]);
  return table.all().filter((r) => r.state === "active" && r.lo >= lo && r.hi <= hi && ends.has(r.lo) && ends.has(r.hi));
}

/**
 * What open pre-allocations hold: their shardlets, their parts and every shardlet inside their
 * ranges. A prediction for any of them is already prepared for: the parts are new ids, and cutting
 * or moving them again would be a second pre-allocation of the same surge.
 */
export class Held {
  private readonly ids = new Set<string>();
  private readonly ranges: Array<{ streamId: string; lo: number; hi: number }> = [];

  constructor(open: readonly Preallocation[] = []) {
    for (const p of open) this.add(p.streamId, p.shardletId, p.details);
  }

  add(streamId: string, shardletId: string, d: Pick<PreallocDetails, "childIds" | "range">): void {
    this.ids.add(shardletId);
    for (const id of d.childIds ?? []) this.ids.add(id);
    if (d.range) this.ranges.push({ streamId, lo: d.range[0], hi: d.range[1] });
  }

  has(streamId: string, s: { id: string; lo: number; hi: number }): boolean {
    return this.ids.has(s.id) || this.ranges.some((r) => r.streamId === streamId && s.lo < r.hi && s.hi > r.lo);
  }
}

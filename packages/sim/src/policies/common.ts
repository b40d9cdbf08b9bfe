import { planLifecycle, planRebalance, type MoveProposal, type RebalanceSettings } from "@shardcast/core";
import type { Decision, MoveRequest, PolicyView } from "../engine/types.ts";
import { forMoves, rebalanceMoveCost } from "../move-model.ts";

/**
 * The shardlet manager as the worker runs it: `planLifecycle` on the sizes and write rates
 * accounting reports. Shardlets whose split was refused (one hot key) are passed as busy so the
 * planner does not ask again every scan.
 */
export function lifecycleInto(d: Decision, view: PolicyView, splitting: Set<string>): void {
  const settings = view.config.policy.lifecycle;
  if (!settings.enabled) return;
  const busy = view.unsplittable.size === 0 ? view.busy : new Set([...view.busy, ...view.unsplittable]);
  const plan = planLifecycle(view.shardlets, settings, { busy });
  for (const a of plan.actions) {
    if (a.kind === "split") {
      d.splits.push({ shardletId: a.shardletId, reason: a.reason, source: "lifecycle" });
      splitting.add(a.shardletId);
    } else {
      d.merges.push({ leftId: a.leftId, rightId: a.rightId, reason: a.reason });
      splitting.add(a.leftId);
      splitting.add(a.rightId);
    }
  }
}

export function toMove(p: MoveProposal, source: MoveRequest["source"]): MoveRequest {
  return { shardletId: p.shardletId, destHostId: p.destHostId, reason: p.reason, source, ...(p.urgencySec !== undefined ? { urgencySec: p.urgencySec } : {}) };
}

/**
 * The rebalancer, on current loads or (with `loads`) on the larger of the current and the coming
 * load of each shardlet. Shardlets that are busy, about to split or merge, or already given a move
 * this tick are in flight; planned moves count on their destination.
 */
export function rebalanceInto(
  d: Decision,
  view: PolicyView,
  exclude: ReadonlySet<string>,
  planned: ReadonlyMap<string, string>,
  loads?: ReadonlyMap<string, number>,
  overrides?: Partial<RebalanceSettings>,
  outlook?: ReadonlyMap<string, number>,
): void {
  // The simulator weighs a move by its own move model (`forMoves` zeroes the bytes of hand-offs), so
  // the planner is asked as the copying planner whatever the product's `moveMode` default is.
  const settings = { ...view.config.policy.rebalance, ...overrides, moveMode: "copy" as const };
  if (!settings.enabled) return;
  const inFlight = exclude.size === 0 ? view.busy : new Set([...view.busy, ...exclude]);
  const inFlightMoves = planned.size === 0 ? view.inFlightMoves : new Map([...view.inFlightMoves, ...planned]);
  const cl = view.config.cluster;
  const result = planRebalance({
    hosts: view.hosts,
    shardlets: forMoves(
      cl,
      loads ? view.shardlets.map((s) => ({ id: s.id, streamId: s.streamId, hostId: s.hostId, sizeBytes: s.sizeBytes, state: s.state, load: Math.max(s.load, loads.get(s.id) ?? 0) })) : view.shardlets,
    ),
    settings,
    recentMoves: view.recentMoves,
    inFlight,
    inFlightMoves,
    now: view.now,
    ...(outlook && outlook.size > 0 ? { outlook } : {}),
    // The simulated migration's duration under the move model, so a host past its limit sheds
    // what switches soonest.
    moveCost: rebalanceMoveCost(cl),
  });
  for (const p of result.proposals) d.moves.push(toMove(p, "rebalancer"));
}

import { planDrain } from "@shardcast/core";
import { forMoves, handoffsPerLane } from "../move-model.ts";
import { copyHistoryOff, sealedOn } from "./handoff.ts";
import { startMove } from "./jobs.ts";
import type { EngineState } from "./state.ts";
import type { Decision, PolicyView } from "./types.ts";

/** The cluster's membership: hosts asked for, ready, drained and removed, within the capacity settings. */

export const serving = (st: EngineState, i: number): boolean => st.status[i] === "active" || st.status[i] === "draining";
export const paid = (st: EngineState, i: number): boolean => st.status[i] === "active" || st.status[i] === "draining" || st.status[i] === "provisioning";

/** The serving hosts the planners see, rebuilt after membership changed. */
export function syncHosts(st: EngineState, view: PolicyView): void {
  if (!st.hostsDirty) return;
  st.hosts = st.slotHost.filter((_, i) => serving(st, i));
  view.hosts = st.hosts;
  st.hostsDirty = false;
}

/** Hosts whose provisioning is over serve from `t0` on. */
export function activateProvisioned(st: EngineState, t0: number): void {
  for (let i = 0; i < st.n; i++) {
    if (st.status[i] !== "provisioning" || st.readyAt[i]! > t0) continue;
    st.status[i] = "active";
    st.slotHost[i]!.status = "active";
    st.capacity[i] = st.slotHost[i]!.capacityEventsPerSec;
    st.hostsDirty = true;
    st.hostEvents.push({ t: t0, kind: "ready", hostId: st.hostIds[i]! });
  }
}

// A removed host's slot (and id) is reused by the next host asked for: slots are the hosts a
// cluster can have at once, so a run with many add and drain cycles never runs out of them.
function newSlot(st: EngineState): number {
  const { status, hostIds, hostIndex } = st;
  for (let i = 0; i < st.n; i++) {
    if (status[i] !== "free" && status[i] !== "gone") continue;
    if (i >= hostIds.length) {
      let id = `h${i}`;
      for (let k = 1; hostIndex.has(id); k++) id = `h${i}-${k}`;
      hostIds.push(id);
      hostIndex.set(id, i);
      st.slotHost.push({ id, status: "active", capacityEventsPerSec: st.newHostCapacity, capacityBytes: st.newHostBytes, sizeBytes: 0 });
    }
    return i;
  }
  return -1;
}

/** Hosts asked for and drains: within the minimum and maximum hosts of the capacity settings. */
export function scale(st: EngineState, d: Decision, now: number, measured: boolean): void {
  const { status, slotHost, hostIds, hostEvents, caps, cl } = st;
  let count = 0;
  let active = 0;
  for (let i = 0; i < st.n; i++) {
    if (paid(st, i)) count++;
    if (status[i] === "active") active++;
  }
  for (let k = 0; k < d.addHosts; k++) {
    // A host still draining is cheaper to keep than a new one: its drain is cancelled first.
    let i = status.findIndex((x) => x === "draining");
    if (i >= 0) {
      status[i] = "active";
      slotHost[i]!.status = "active";
      active++;
      st.hostsDirty = true;
      hostEvents.push({ t: now, kind: "drain_cancelled", hostId: hostIds[i]! });
      continue;
    }
    if (count >= caps.maxHosts) break;
    i = newSlot(st);
    if (i < 0) break;
    status[i] = "provisioning";
    st.addedAt[i] = now;
    st.readyAt[i] = now + cl.provisionSec * 1000;
    count++;
    hostEvents.push({ t: now, kind: "requested", hostId: hostIds[i]! });
    if (measured) st.metrics.counts.hostsAdded++;
  }
  for (const id of d.drainHosts) {
    const i = st.hostIndex.get(id);
    if (i === undefined || status[i] !== "active" || active - 1 < caps.minHosts) continue;
    status[i] = "draining";
    slotHost[i]!.status = "draining";
    active--;
    st.hostsDirty = true;
    hostEvents.push({ t: now, kind: "draining", hostId: id });
  }
}

/**
 * Moves off draining hosts while they have shardlets and free migration slots (hand-off lanes
 * under hand-off moves, whose sealed history is then copied off); removal once empty.
 */
export function drainStep(st: EngineState, now: number, measured: boolean): void {
  const { status, movesOn, hostIds, cl } = st;
  const handoff = cl.moveModel === "handoff";
  for (let i = 0; i < st.n; i++) {
    if (status[i] !== "draining") continue;
    let held = 0;
    for (const s of st.live) if (s.host === i) held++;
    const history = handoff ? sealedOn(st, i) : 0;
    if (held === 0 && movesOn[i] === 0 && history === 0) {
      status[i] = "gone";
      st.capacity[i] = 0;
      st.hostsDirty = true;
      st.hostEvents.push({ t: now, kind: "removed", hostId: hostIds[i]! });
      if (measured) st.metrics.counts.hostsRemoved++;
      continue;
    }
    // The host is paid until its history is gone: copying it off is faster than waiting out retention.
    if (history > 0) copyHistoryOff(st, i, now, measured);
    const free = handoff ? Math.max(1, cl.maxMigrationsPerHost) * handoffsPerLane(cl, st.tickMs) : cl.maxMigrationsPerHost - movesOn[i]!;
    if (free <= 0 || held === 0) continue;
    const shardlets = forMoves(cl, st.live);
    // The move model is applied by `forMoves` above: the planner is asked as the copying planner.
    const settings = { ...st.config.policy.rebalance, moveMode: "copy" as const };
    const plan = planDrain(hostIds[i]!, { hosts: st.hosts, shardlets, settings, inFlight: st.busy, inFlightMoves: st.inFlightMoves, now }, { limit: free });
    for (const p of plan.proposals) startMove(st, { shardletId: p.shardletId, destHostId: p.destHostId, reason: p.reason, source: "drain" }, now, measured);
  }
}

/** Hosts serving and hosts paid for right now. */
export function countHosts(st: EngineState): { serving: number; paid: number } {
  let servingNow = 0;
  let paidNow = 0;
  for (let i = 0; i < st.n; i++) {
    if (serving(st, i)) servingNow++;
    if (paid(st, i)) paidNow++;
  }
  return { serving: servingNow, paid: paidNow };
}

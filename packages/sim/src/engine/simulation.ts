import { applyDecision } from "./decisions.ts";
import { ageSealed, heldExpiring } from "./handoff.ts";
import { integrateTick } from "./jobs.ts";
import { activateProvisioned, countHosts, drainStep, syncHosts } from "./membership.ts";
import type { PolicyRun } from "./policy-run.ts";
import { createPolicyView } from "./policy-view.ts";
import { createEngineState, type EngineInput } from "./state.ts";
import type { Policy } from "./types.ts";

export { MAX_ACTIONS, type ActionRecord, type HostEvent, type PolicyRun } from "./policy-run.ts";

export interface SimulateOptions extends EngineInput {
  policy: Policy;
  /** Called about every 5% of the run with the fraction done. */
  onProgress?: (fraction: number) => void;
}

/**
 * Runs one policy over a workload on a virtual clock. Each tick: loads advance (interpolated
 * between bucket means), sizes follow the retention window, the policy decides from what it can
 * observe (the previous tick's rates, complete buckets of history), the engine starts what was
 * decided (splits and merges lock the shardlet for `splitSec`; under the `copy` move model a
 * migration copies for setup plus bytes / bandwidth and verifies, with the shardlet's writes
 * shadowed to the destination and the copy's share of both hosts taken meanwhile, then switches
 * the load and cleans up the source; under `handoff` the load switches after `handoffSec` and the
 * history stays sealed on the source until it expires),
 * hosts asked for are paid from the request and serve after `provisionSec`, drained hosts have
 * their shardlets moved off (`planDrain`) and are removed once empty, and the metrics integrate
 * the tick exactly between completions. Deterministic: no clock, no randomness beyond the workload's seed.
 */
export function simulate(opts: SimulateOptions): PolicyRun {
  const steps = simulation(opts);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Ticks per slice of `simulation`: small enough that a caller yielding between slices stays responsive. */
export const SLICE_TICKS = 64;

/**
 * The run as a generator: yields the fraction done after every `SLICE_TICKS` ticks and returns
 * the result, so a server can interleave a run with other work (see `compareAsync`).
 */
export function* simulation(opts: SimulateOptions): Generator<number, PolicyRun, void> {
  const started = performance.now();
  const { policy } = opts;
  const st = createEngineState(opts);
  const { w, model, metrics, slotHost, events, tickMs, ticks, warmupMs, retentionMs, bytesPerTick, steady, n, hostIds } = st;

  const hostsServing = new Uint16Array(ticks);
  const hostsPaid = new Uint16Array(ticks);
  const clusterLoad = new Float32Array(ticks);
  const planForecast = new Float32Array(ticks).fill(NaN);
  const planHostsNeeded = new Uint16Array(ticks);
  const view = createPolicyView(st);

  const progressEvery = Math.max(1, Math.floor(ticks / 20));
  for (let tick = 0; tick < ticks; tick++) {
    const t0 = tick * tickMs;
    const t1 = t0 + tickMs;
    const mid = t0 + tickMs / 2;
    const measured = t0 >= warmupMs;
    // Hosts whose provisioning is over serve from this tick on.
    activateProvisioned(st, t0);
    if (st.liveDirty) {
      st.live = [...st.byId.values()];
      view.shardlets = st.live;
      st.liveDirty = false;
    }
    const live = st.live;
    events.fill(0);
    for (const h of slotHost) h.sizeBytes = 0;
    // The write time of the events that expire now (negative: before the start).
    const ev = mid - retentionMs;
    let expired = ev;
    if (expired < 0) expired = steady ? expired + retentionMs : -1;
    for (const s of live) {
      if (tick > 0) {
        s.writeRate = s.rate;
        s.load = s.rate;
        s.rate = model.rateAt(s.ka, s.kb, mid);
        const out = s.held ? heldExpiring(st, s, s.held, ev) : expired < 0 ? 0 : model.rateAt(s.ka, s.kb, expired);
        s.sizeBytes = Math.max(0, s.sizeBytes + (s.rate - out) * bytesPerTick);
      }
      events[s.host]! += s.rate;
      slotHost[s.host]!.sizeBytes += s.sizeBytes;
      clusterLoad[tick]! += s.rate;
    }
    // History sealed by hand-offs stays on its host's storage until it expires.
    if (st.sealed.length > 0) ageSealed(st, ev, tick > 0);
    syncHosts(st, view);
    if (live.length > metrics.counts.shardletsMax && measured) metrics.counts.shardletsMax = live.length;

    view.now = t0;
    view.tick = tick;
    const bucket = Math.floor(t0 / w.bucketMs);
    // A refused split is asked for again once the load has moved on (the next bucket).
    if (bucket !== view.bucket) st.unsplittable.clear();
    view.bucket = bucket;
    const decision = policy.decide(view);
    applyDecision(st, decision, t0, measured);
    if (decision.plan) {
      planForecast[tick] = decision.plan.forecast;
      planHostsNeeded[tick] = decision.plan.hostsNeeded;
    }
    syncHosts(st, view);
    drainStep(st, t0, measured);
    syncHosts(st, view);
    const counted = countHosts(st);
    hostsServing[tick] = counted.serving;
    hostsPaid[tick] = counted.paid;
    metrics.hostTime(tickMs, counted.paid, measured);
    integrateTick(st, tick, t0, t1, measured);
    metrics.endTick(tick, measured);
    if (opts.onProgress && (tick + 1) % progressEvery === 0) opts.onProgress((tick + 1) / ticks);
    if ((tick + 1) % SLICE_TICKS === 0) yield (tick + 1) / ticks;
  }

  // Utilisation per (tick, host) for the host slots the run used (`util[tick * hostIds.length + h]`).
  const used = hostIds.length;
  let util = metrics.util;
  if (used < n) {
    util = new Float32Array(ticks * used);
    for (let t = 0; t < ticks; t++) util.set(metrics.util.subarray(t * n, t * n + used), t * used);
  }
  return {
    policy: policy.name,
    metrics: metrics.finish(st.byId.size),
    hostIds,
    hostsServing,
    hostsPaid,
    clusterLoad,
    planForecast,
    planHostsNeeded,
    hostEvents: st.hostEvents,
    ticks,
    tickMs,
    measuredFromTick: st.measuredFromTick,
    util,
    violationMs: metrics.violationMs,
    actions: st.actions,
    wallMs: performance.now() - started,
  };
}

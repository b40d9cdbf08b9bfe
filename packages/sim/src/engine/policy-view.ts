import type { CapacityHost } from "@shardcast/core";
import { paid } from "./membership.ts";
import type { EngineState } from "./state.ts";
import type { PolicyView } from "./types.ts";

/**
 * What the policy sees of the run: the engine moves `now`, `tick`, `bucket`, `hosts` and
 * `shardlets` on each tick; history is complete buckets only, the future is the oracle's.
 */
export function createPolicyView(st: EngineState): PolicyView {
  const { w, config, model, byId, announcements, historyCache } = st;
  const keyTotal = w.keyHashes.length;
  const view: PolicyView = {
    now: 0,
    tick: 0,
    bucket: 0,
    config,
    workload: w,
    hosts: st.hosts,
    capacityHosts() {
      const out: CapacityHost[] = [];
      for (let i = 0; i < st.n; i++) {
        if (!paid(st, i)) continue;
        const h = st.slotHost[i]!;
        out.push({ id: h.id, status: st.status[i] as CapacityHost["status"], capacityEventsPerSec: h.capacityEventsPerSec, sizeBytes: h.sizeBytes, addedAtMs: Number.isNaN(st.addedAt[i]!) ? null : st.addedAt[i]! });
      }
      return out;
    },
    clusterHistory(steps) {
      return model.series(0, keyTotal, view.bucket - steps, view.bucket);
    },
    clusterFuture(steps) {
      const out = new Array<number>(steps);
      for (let i = 0; i < steps; i++) out[i] = model.bucketRate(0, keyTotal, view.bucket + i);
      return out;
    },
    shardlets: st.live,
    shardlet: (id) => byId.get(id),
    busy: st.busy,
    inFlightMoves: st.inFlightMoves,
    recentMoves: st.recentMoves,
    unsplittable: st.unsplittable,
    history(s) {
      const cached = historyCache.get(s.id);
      if (cached && cached.bucket === view.bucket) return cached.values;
      const values = model.series(s.ka, s.kb, view.bucket - config.policy.historySteps, view.bucket);
      historyCache.set(s.id, { bucket: view.bucket, values });
      return values;
    },
    future(s, steps) {
      const out = new Array<number>(steps);
      for (let i = 0; i < steps; i++) out[i] = model.bucketRate(s.ka, s.kb, view.bucket + i);
      return out;
    },
    futureMedian(s, steps) {
      return model.futureMedianHash(s.ka, s.kb, view.bucket, view.bucket + steps) ?? undefined;
    },
    hintRange(s, steps) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const a of announcements.get(s.streamId) ?? []) {
        if (a.knownFromBucket > view.bucket || a.toBucket <= view.bucket || a.fromBucket >= view.bucket + steps) continue;
        const l = Math.max(a.lo, s.lo);
        const h = Math.min(a.hi, s.hi);
        if (h <= l) continue;
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      }
      return hi > lo ? { lo, hi } : undefined;
    },
    hints(s, steps) {
      const list = announcements.get(s.streamId);
      if (!list) return undefined;
      let out: number[] | undefined;
      for (const a of list) {
        if (a.knownFromBucket > view.bucket || a.toBucket <= view.bucket || a.fromBucket >= view.bucket + steps) continue;
        const overlap = Math.min(a.hi, s.hi) - Math.max(a.lo, s.lo);
        if (overlap <= 0) continue;
        const extra = (a.rate * overlap) / (a.hi - a.lo);
        out ??= new Array<number>(steps).fill(s.load);
        for (let i = 0; i < steps; i++) {
          const b = view.bucket + i;
          if (b >= a.fromBucket && b < a.toBucket) out[i]! += extra;
        }
      }
      return out;
    },
  };
  return view;
}

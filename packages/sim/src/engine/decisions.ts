import { chooseSplitPoint } from "@shardcast/core";
import { startMove } from "./jobs.ts";
import { scale } from "./membership.ts";
import { record, type EngineState } from "./state.ts";
import type { Decision } from "./types.ts";

/**
 * Starts what a policy decided: splits and merges lock their shardlets for `splitSec`, moves start
 * migrations (when both hosts have a free slot), then hosts are asked for or drained.
 */
export function applyDecision(st: EngineState, d: Decision, now: number, measured: boolean): void {
  const { w, cl, model, busy, metrics, byId } = st;
  const bucket = Math.floor(now / w.bucketMs);
  const minWidth = Math.max(1, st.lifecycle.minShardletWidth);
  for (const r of d.splits) {
    const s = byId.get(r.shardletId);
    if (!s || s.state !== "active" || busy.has(s.id)) continue;
    let point;
    if (r.at !== undefined) {
      point = chooseSplitPoint(s.lo, s.hi, r.at, minWidth);
    } else {
      const m = model.median(s.ka, s.kb, bucket);
      const profile = m === null ? null : { median: w.keyHashes[m.median]!, min: w.keyHashes[m.first]!, max: w.keyHashes[m.last]!, rows: m.loaded };
      point = chooseSplitPoint(s.lo, s.hi, profile, minWidth);
    }
    if (point.at === null) {
      st.unsplittable.add(s.id);
      if (measured) metrics.counts.refusedSplits++;
      continue;
    }
    s.state = "splitting";
    busy.add(s.id);
    st.jobs.push({ kind: "split", seq: st.seq++, endsAt: now + cl.splitSec * 1000, s, at: point.at });
    record(st, now, "split", s, r.source);
    if (measured) {
      metrics.counts.splits++;
      metrics.counts.fallbackEvents += s.rate * cl.splitSec;
    }
  }
  for (const r of d.merges) {
    const left = byId.get(r.leftId);
    const right = byId.get(r.rightId);
    if (!left || !right || left.state !== "active" || right.state !== "active" || busy.has(left.id) || busy.has(right.id)) continue;
    if (left.hi !== right.lo || left.host !== right.host || left.shardId !== right.shardId) continue;
    left.state = "merging";
    right.state = "merging";
    busy.add(left.id);
    busy.add(right.id);
    st.jobs.push({ kind: "merge", seq: st.seq++, endsAt: now + cl.splitSec * 1000, left, right });
    record(st, now, "merge", left, "lifecycle", { destHostId: left.hostId });
    if (measured) {
      metrics.counts.merges++;
      metrics.counts.fallbackEvents += (left.rate + right.rate) * cl.splitSec;
    }
  }
  for (const r of d.moves) startMove(st, r, now, measured);
  if (d.scaleOut && measured) metrics.counts.scaleSignals++;
  scale(st, d, now, measured);
}

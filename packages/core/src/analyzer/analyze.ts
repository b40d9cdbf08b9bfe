import type { PlacementNote } from "../placement/types.ts";
import { formatBytes } from "../format.ts";
import { pct, rate, seconds } from "./format.ts";
import { planPredictedMoves } from "./placement.ts";
import { addInto, forecastShardlet, growth, observedFlat, peak, secondsUntilRate, secondsUntilSize } from "./series.ts";
import type { AddHostProposal, AnalyzerInput, AnalyzerOutput, RankedShardlet, SplitProposal } from "./types.ts";

/**
 * The predictive load analyzer: forecasts every shardlet's write rate over the horizon, ranks
 * shardlets by predicted pressure against their split thresholds, proposes splits for those
 * predicted to pass a threshold (with the time left as urgency), moves that keep every host under
 * its bound of the mean predicted utilisation, and a new host when forecast cluster load or size
 * passes the scale-out fraction of the hosts' capacity. Pure and deterministic: the worker runs it
 * on telemetry, the simulator on every virtual step.
 */
export function analyzeLoad(input: AnalyzerInput): AnalyzerOutput {
  const { settings } = input;
  const bucketSec = input.bucketMs / 1000;
  const h = Math.max(1, Math.floor(input.horizonSteps));
  const busy = input.busy ?? new Set<string>();
  const notes: PlacementNote[] = [];
  const threshold = settings.overloadFraction * input.splitWriteRate;

  const forecasts = new Map<string, number[]>();
  const modelForecasts = new Map<string, number[]>();
  const carried = new Set<string>();
  const planLoad = new Map<string, number>();
  const ranking: RankedShardlet[] = [];
  const clusterLoad = new Array<number>(h).fill(0);
  const clusterBytes = new Array<number>(h).fill(0);
  let bytesNow = 0;
  const why = new Map<string, { byRate: number | null; bySize: number | null; peakFullness: number }>();
  for (const s of input.shardlets) {
    const f = forecastShardlet(s, input.forecaster, { now: input.now, bucketMs: input.bucketMs, horizonSteps: h, period: input.period });
    if (f.fallback !== undefined || s.history.length === 0) carried.add(s.id);
    if (f.fallback !== undefined) {
      notes.push({ streamId: s.streamId, shardletId: s.id, message: `the model could not forecast this shardlet (${f.fallback}); its last rate is carried forward` });
    }
    const distrust = input.untrusted?.get(s.id);
    let values = f.values;
    if (distrust !== undefined) {
      modelForecasts.set(s.id, values);
      values = observedFlat(s, values.length);
      notes.push({
        streamId: s.streamId,
        shardletId: s.id,
        message: `its forecast is not trusted (${distrust}): planned on its observed ${rate(values[0] ?? 0)}, so a split is left to the reactive manager`,
        details: { untrusted: distrust },
      });
    }
    forecasts.set(s.id, values);
    addInto(clusterLoad, values);
    const predictedPeak = peak(values);
    planLoad.set(s.id, predictedPeak);
    const sizes = growth(s.sizeBytes, values, s.bytesPerEvent ?? 0, bucketSec);
    addInto(clusterBytes, sizes);
    bytesNow += s.sizeBytes;
    const byRate = secondsUntilRate(s.history[s.history.length - 1], values, threshold, bucketSec);
    const sizeLimit = input.splitFullness * s.capacityBytes;
    const bySize = s.capacityBytes > 0 ? secondsUntilSize(s.sizeBytes, sizes, sizeLimit, bucketSec) : null;
    const peakFullness = s.capacityBytes > 0 ? sizes[sizes.length - 1]! / s.capacityBytes : 0;
    const overloadInSec = byRate === null ? bySize : bySize === null ? byRate : Math.min(byRate, bySize);
    const score = Math.max(threshold > 0 ? predictedPeak / threshold : 0, input.splitFullness > 0 ? peakFullness / input.splitFullness : 0);
    ranking.push({ shardletId: s.id, predictedPeak, threshold, overloadInSec: overloadInSec === null ? null : Math.round(overloadInSec), score });
    why.set(s.id, { byRate, bySize, peakFullness });
  }
  ranking.sort((a, b) => b.score - a.score || (a.shardletId < b.shardletId ? -1 : a.shardletId > b.shardletId ? 1 : 0));

  // Splits: shardlets whose forecast reaches a split threshold within the horizon, soonest first.
  const byId = new Map(input.shardlets.map((s) => [s.id, s]));
  const splitCandidates: SplitProposal[] = [];
  for (const r of ranking) {
    if (r.overloadInSec === null) continue;
    const s = byId.get(r.shardletId)!;
    if (busy.has(s.id)) {
      notes.push({ streamId: s.streamId, shardletId: s.id, message: "predicted to pass its split threshold, but a job already holds it" });
      continue;
    }
    if (s.state !== "active") continue;
    if (s.splittable === false) {
      notes.push({
        streamId: s.streamId,
        shardletId: s.id,
        message: `predicted to pass its split threshold in ${seconds(r.overloadInSec)}, but its range is too narrow to split (a hot key): only a move can relieve it`,
      });
      continue;
    }
    if (r.overloadInSec < settings.minUrgencySec) {
      notes.push({
        streamId: s.streamId,
        shardletId: s.id,
        message: `predicted overload in ${seconds(r.overloadInSec)} is sooner than ${seconds(settings.minUrgencySec)}: left to the reactive manager`,
      });
      continue;
    }
    const w = why.get(s.id)!;
    const rateFirst = w.byRate !== null && (w.bySize === null || w.byRate <= w.bySize);
    const reason = rateFirst
      ? `forecast write rate reaches ${rate(threshold)} (${pct(settings.overloadFraction)} of the split write rate ${rate(input.splitWriteRate)}) in ${seconds(w.byRate!)}, peaking at ${rate(r.predictedPeak)}`
      : `forecast size reaches ${pct(input.splitFullness)} of its ${formatBytes(s.capacityBytes)} capacity in ${seconds(w.bySize!)} (${pct(w.peakFullness)} by the end of the horizon)`;
    splitCandidates.push({ shardletId: s.id, streamId: s.streamId, reason, urgencySec: r.overloadInSec, predictedPeak: r.predictedPeak });
  }
  splitCandidates.sort((a, b) => a.urgencySec - b.urgencySec || b.predictedPeak - a.predictedPeak || (a.shardletId < b.shardletId ? -1 : 1));
  const splits = splitCandidates.slice(0, settings.maxProposals);
  for (const s of splitCandidates.slice(settings.maxProposals)) {
    notes.push({ streamId: s.streamId, shardletId: s.shardletId, message: `split not proposed this run: more than ${settings.maxProposals} proposals` });
  }

  // Moves: a shardlet about to be split stays where it is (its children can move later).
  const exclude = new Set<string>([...busy, ...(input.pinned ?? []), ...splits.map((s) => s.shardletId)]);
  const placed = planPredictedMoves({ hosts: input.hosts, shardlets: input.shardlets, planLoad, forecasts, settings, bucketSec, exclude, moveMode: input.moveMode ?? "copy" });
  notes.push(...placed.notes);

  const addHost = scaleSignal(input, clusterLoad, bytesNow, clusterBytes, bucketSec);
  return { forecasts, modelForecasts, carried, ranking, splits, moves: placed.moves, addHost, notes };
}


/** A new host when the forecast cluster load or stored size passes the scale-out fraction of capacity. */
function scaleSignal(input: AnalyzerInput, load: number[], bytesNow: number, sizes: number[], bucketSec: number): AddHostProposal | null {
  if (input.shardlets.length === 0) return null;
  const active = input.hosts.filter((x) => x.status === "active");
  const capacity = active.reduce((sum, x) => sum + x.capacityEventsPerSec, 0);
  const capacityBytes = active.reduce((sum, x) => sum + x.capacityBytes, 0);
  const f = input.settings.scaleOutUtilization;
  if (active.length === 0) {
    return { reason: "no active storage host is left to place shardlets on", urgencySec: 0, forecastClusterLoad: load, capacity: 0, forecastClusterBytes: sizes, capacityBytes: 0 };
  }
  let observed = 0;
  for (const s of input.shardlets) observed += s.history[s.history.length - 1] ?? s.load;
  const byLoad = secondsUntilRate(observed, load, f * capacity, bucketSec);
  const bySize = capacityBytes > 0 ? secondsUntilSize(bytesNow, sizes, f * capacityBytes, bucketSec) : null;
  if (byLoad === null && bySize === null) return null;
  const loadFirst = byLoad !== null && (bySize === null || byLoad <= bySize);
  const reason = loadFirst
    ? `forecast cluster write rate reaches ${rate(f * capacity)} (${pct(f)} of the ${active.length} active hosts' ${rate(capacity)}) in ${seconds(byLoad)}, peaking at ${rate(peak(load))}`
    : `forecast stored data reaches ${formatBytes(f * capacityBytes)} (${pct(f)} of the ${active.length} active hosts' ${formatBytes(capacityBytes)}) in ${seconds(bySize!)}`;
  return {
    reason,
    urgencySec: Math.round(loadFirst ? byLoad : bySize!),
    forecastClusterLoad: load,
    capacity,
    forecastClusterBytes: sizes,
    capacityBytes,
  };
}

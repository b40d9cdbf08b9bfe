import { formatBytes } from "../format.ts";
import { pct, rate, seconds } from "../analyzer/format.ts";
import { median } from "../median.ts";
import type { MoveMode } from "../migration/phases.ts";
import type { CapacitySettings } from "./settings.ts";

/**
 * Predictive elasticity: how many hosts the forecast needs, when to ask for one so that it is
 * registered and filled before the load arrives, and when a host can be drained because the
 * remaining ones keep their headroom until it could be back. Moving data takes time in
 * proportion to its size, so a host that is only asked for when the load is already there
 * migrates during the peak; the lead is provisioning plus the copy of the new host's share at the
 * copy budget, from the forecast and the bytes stored. Pure and deterministic: the worker's
 * analyzer runs it on telemetry forecasts, the simulator on every virtual step.
 */

export type CapacityHostStatus = "active" | "draining" | "provisioning" | "down";

export interface CapacityHost {
  id: string;
  status: CapacityHostStatus;
  capacityEventsPerSec: number;
  /** Bytes stored on the host now. */
  sizeBytes: number;
  /** When the host was added (ms); absent for hosts older than anything the planner remembers. */
  addedAtMs?: number | null;
  /** Never a drain candidate (e.g. it keeps a shard's overflow log); it still counts as serving. */
  keep?: boolean;
}

export interface CapacityInput {
  nowMs: number;
  stepMs: number;
  /** Forecast cluster write rate (events/s) per step, the first step starting at `nowMs`. */
  forecast: readonly number[];
  /** Observed cluster write rate now (events/s). */
  observed: number;
  hosts: readonly CapacityHost[];
  settings: CapacitySettings;
  /**
   * Set when the forecast has gone bad (a holiday, a level shift: see the forecast error
   * tracker): the plan then follows the observed load only, as a reactive planner would, and
   * says why.
   */
  untrusted?: string | null;
  /**
   * How far above its forecasts the cluster load has run (the forecast error tracker's
   * `upperFactor` at the settings' `forecastQuantile`, at least 1): the plan is made for the
   * forecast times this, so hosts are bought for what the forecast tends to miss. Not applied to
   * an untrusted forecast (the observed load is planned on then).
   */
  upperFactor?: number;
  /**
   * How load moves onto a new host (the rebalance settings' `moveMode`): with `handoff` (the
   * product's default) a new host takes its share of the load by hand-offs as soon as it is
   * registered, so its lead is provisioning plus one hand-off; with `copy` (the default here, for
   * callers that model the copying mover) the share's bytes are copied at the copy budget first.
   * Draining a host is costed as copying its bytes either way: it is freed only once its history
   * is gone (copied, or expired).
   */
  moveMode?: MoveMode;
}

export interface CapacityStep {
  atMs: number;
  /** The forecast load (or the observed load when the forecast is untrusted). */
  forecast: number;
  /** Load the plan was made for: the forecast times the upper factor. */
  planned: number;
  /** Hosts the load needs at the target utilisation (within the minimum and maximum). */
  hostsNeeded: number;
  /** Hosts the plan will have serving at this step. */
  hostsPlanned: number;
  /** Write capacity of the planned hosts (events/s). */
  capacity: number;
}

export interface ScaleOutPlan {
  count: number;
  reason: string;
  /** When the first extra host is needed (ms). */
  needByMs: number;
  /** When it must be asked for to be ready in time (ms; before now when it is late). */
  startByMs: number;
  /** Provisioning + filling + margin, seconds. */
  leadSec: number;
  /** Bytes each new host takes over to carry its share. */
  fillBytes: number;
  /** The need is sooner than the lead: the host will arrive after the load. */
  late: boolean;
  /** Highest load within the lead window (events/s). */
  peak: number;
}

export interface ScaleInPlan {
  hostId: string;
  reason: string;
  /** Bytes the drain moves to the other hosts. */
  bytes: number;
  drainSec: number;
  /** When the remaining hosts stop having the headroom (ms), or the end of the horizon. */
  troughEndsMs: number;
  /** Host-seconds saved: the host's absence between its drain and the time it must be asked for again. */
  savingSec: number;
}

export interface CapacityPlan {
  /** Hosts counted as serving or about to serve (active and provisioning; draining ones are leaving). */
  hostsNow: number;
  /** Capacity one host is planned with (events/s, the median of the hosts). */
  hostCapacity: number;
  /** Lead of one new host, seconds. */
  leadSec: number;
  add: ScaleOutPlan | null;
  drain: ScaleInPlan | null;
  /** Hosts over time against the load, one entry per step. */
  timeline: CapacityStep[];
  /** Why the plan did or did not act, for the console. */
  notes: string[];
}

/** Hosts a load needs at the target utilisation, within the minimum and maximum. */
export function hostsNeeded(load: number, hostCapacity: number, settings: Pick<CapacitySettings, "targetUtilization" | "minHosts" | "maxHosts">): number {
  const per = settings.targetUtilization * hostCapacity;
  const raw = per > 0 && load > 0 ? Math.ceil(load / per - 1e-9) : 0;
  return Math.min(settings.maxHosts, Math.max(settings.minHosts, raw));
}

/** Seconds to copy `n` bytes onto (or off) one host at the copy budget, its parallel moves and their setup. */
export function copySeconds(n: number, settings: Pick<CapacitySettings, "copyBytesPerSec" | "movesPerHost" | "moveSetupSec">): number {
  if (!(n > 0)) return 0;
  return settings.moveSetupSec + n / (settings.copyBytesPerSec * settings.movesPerHost);
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  const { settings: s, stepMs, nowMs } = input;
  const notes: string[] = [];
  const live = input.hosts.filter((h) => h.status !== "down");
  const serving = live.filter((h) => h.status === "active" || h.status === "provisioning");
  const n = serving.length;
  const hostCapacity = median(live.map((h) => h.capacityEventsPerSec)) || 1;
  const clusterBytes = live.reduce((sum, h) => sum + (h.status === "provisioning" ? 0 : h.sizeBytes), 0);
  const stepSec = stepMs / 1000;

  // An untrusted forecast is replaced by the observed load held flat: the plan becomes reactive.
  const point = input.untrusted ? input.forecast.map(() => input.observed) : [...input.forecast];
  if (input.untrusted) notes.push(`the forecast is not trusted (${input.untrusted}): hosts are planned on the observed ${rate(input.observed)} only`);
  if (point.length === 0) point.push(input.observed);
  const band = !input.untrusted && input.upperFactor !== undefined && Number.isFinite(input.upperFactor) ? Math.max(1, input.upperFactor) : 1;
  // Planning forecast x band at the target's utilisation is the same as planning the band at
  // the band utilisation scaled back to the target; misses the target's headroom absorbs add nothing.
  const bandAt = Math.max(s.targetUtilization, s.bandUtilization);
  const factor = Math.max(1, (band * s.targetUtilization) / bandAt);
  const load = factor > 1 ? point.map((v) => v * factor) : point;
  if (factor > 1)
    notes.push(
      `planned on the forecast x${factor.toFixed(2)}: the load ran x${band.toFixed(2)} above its forecasts at the ${pct(s.forecastQuantile)} quantile of recent steps, planned at ${pct(bandAt)} of the hosts`,
    );
  else if (band > 1) notes.push(`the load ran x${band.toFixed(2)} above its forecasts at the ${pct(s.forecastQuantile)} quantile of recent steps: within the headroom the target leaves`);

  const fillBytes = clusterBytes / (n + 1);
  const fillSec = input.moveMode === "handoff" ? s.moveSetupSec : copySeconds(fillBytes, s);
  const leadSec = s.provisionSec + fillSec + s.marginSec;
  const leadSteps = Math.ceil((leadSec * 1000) / stepMs);
  const need = (l: number) => hostsNeeded(l, hostCapacity, s);

  let add: ScaleOutPlan | null = null;
  let drain: ScaleInPlan | null = null;
  const provisioning = live.some((h) => h.status === "provisioning");
  const draining = live.some((h) => h.status === "draining");

  // Scale out: every step the plan can still prepare for (the lead window, and one step past it
  // until the next run) must have its hosts; the load observed now counts too (it is overdue).
  const windowEnd = Math.min(load.length, leadSteps + 1);
  let needMax = need(input.observed);
  let firstK = needMax > n ? 0 : -1;
  let peak = input.observed;
  for (let k = 0; k < windowEnd; k++) {
    const h = need(load[k]!);
    if (h > n && firstK < 0) firstK = k;
    if (h > needMax) needMax = h;
    if (load[k]! > peak) peak = load[k]!;
  }
  if (firstK >= 0 && needMax > n) {
    const count = needMax - n;
    const needByMs = nowMs + firstK * stepMs;
    const startByMs = Math.round(needByMs - leadSec * 1000);
    const late = startByMs < nowMs;
    add = {
      count,
      needByMs,
      startByMs,
      leadSec: Math.round(leadSec),
      fillBytes: Math.round(fillBytes),
      late,
      peak,
      reason:
        // A minimum above the hosts there are is its own reason: the load may be nowhere near it.
        (needMax === s.minHosts && hostsNeeded(peak, hostCapacity, { ...s, minHosts: 0 }) < s.minHosts
          ? `the minimum of ${s.minHosts} hosts is more than the ${n} serving (load ${rate(peak)}): `
          : `${firstK === 0 ? "load now" : `forecast load in ${seconds(firstK * stepSec)}`} reaches ${rate(peak)}, more than ${n} host${n === 1 ? "" : "s"} carry at ` +
            `${pct(s.targetUtilization)} of ${rate(hostCapacity)} each: `) +
        `${count === 1 ? "one more host" : `${count} more hosts`} ` +
        (input.moveMode === "handoff"
          ? `(ready in ${seconds(s.provisionSec)}, then its share of the load handed off to ${count === 1 ? "it" : "each"} in about ${seconds(fillSec)}, no history copied)`
          : `(ready in ${seconds(s.provisionSec)}, then ${formatBytes(fillBytes)} to copy onto ${count === 1 ? "it" : "each"} in about ${seconds(fillSec)})`) +
        (late ? `; this is late by ${seconds((nowMs - startByMs) / 1000)}: the load arrives before the host is full` : ""),
    };
  } else if (needMax >= s.maxHosts && n >= s.maxHosts) {
    const over = load.some((l) => l > s.targetUtilization * hostCapacity * n);
    if (over) notes.push(`the forecast needs more than the maximum of ${s.maxHosts} hosts: no host is added past it`);
  } else {
    let later = -1;
    for (let k = windowEnd; k < load.length; k++) {
      if (need(load[k]!) > n) {
        later = k;
        break;
      }
    }
    if (later >= 0) {
      notes.push(`forecast load needs another host in ${seconds(later * stepSec)}; a host takes ${seconds(leadSec)} to be ready and filled, so it is asked for in ${seconds(later * stepSec - leadSec)}`);
    }
  }

  // Scale in: one change at a time, never below the minimum, and only a host that has served a while.
  if (!add && n > s.minHosts) {
    if (provisioning || draining) {
      notes.push(`no host is drained while ${provisioning ? "a host is being provisioned" : "another host is draining"}`);
    } else {
      const candidates = serving
        .filter((h) => h.status === "active" && !h.keep && (h.addedAtMs === undefined || h.addedAtMs === null || nowMs - h.addedAtMs >= s.minHostLifetimeSec * 1000))
        .sort((a, b) => a.sizeBytes - b.sizeBytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const c = candidates[0];
      const room = s.scaleInUtilization * hostCapacity * (n - 1);
      if (!c) {
        notes.push(`no host is drained: every host was added less than ${seconds(s.minHostLifetimeSec)} ago or must stay`);
      } else if (input.observed > room) {
        notes.push(`no host is drained: ${n - 1} hosts would run at ${pct(input.observed / (hostCapacity * (n - 1)))} now (drain at ${pct(s.scaleInUtilization)} or less)`);
      } else {
        let end = load.length;
        for (let k = 0; k < load.length; k++) {
          if (load[k]! > room) {
            end = k;
            break;
          }
        }
        const drainSec = copySeconds(c.sizeBytes, s);
        // The host has to be asked for again a lead before the trough ends; it is saved from the
        // end of its drain until then. A trough past the horizon counts only up to the horizon.
        const savingSec = end * stepSec - leadSec - drainSec;
        const bounded = end === load.length ? " (to the end of the forecast)" : "";
        if (savingSec >= s.minScaleInSavingSec) {
          drain = {
            hostId: c.id,
            bytes: c.sizeBytes,
            drainSec: Math.round(drainSec),
            troughEndsMs: nowMs + end * stepMs,
            savingSec: Math.round(savingSec),
            reason:
              `forecast load stays at or below ${rate(room)} (${pct(s.scaleInUtilization)} of ${n - 1} hosts) for ${seconds(end * stepSec)}${bounded}: ` +
              `draining the host with the least data (${formatBytes(c.sizeBytes)}, about ${seconds(drainSec)}) saves about ${seconds(savingSec)} of host time before it must be asked for again`,
          };
        } else {
          notes.push(
            `no host is drained: the trough lasts ${seconds(end * stepSec)}${bounded}, and draining ${formatBytes(c.sizeBytes)} (${seconds(drainSec)}) plus adding a host back (${seconds(leadSec)}) ` +
              `would save ${seconds(Math.max(0, savingSec))}, less than ${seconds(s.minScaleInSavingSec)}`,
          );
        }
      }
    }
  }

  const readyStep = add ? Math.max(0, Math.ceil((leadSec * 1000) / stepMs)) : Infinity;
  const drainedStep = drain ? Math.ceil((drain.drainSec * 1000) / stepMs) : Infinity;
  const timeline: CapacityStep[] = load.map((l, k) => {
    const planned = n + (add && k >= readyStep ? add.count : 0) - (drain && k >= drainedStep ? 1 : 0);
    return { atMs: nowMs + k * stepMs, forecast: point[k] ?? l, planned: l, hostsNeeded: need(l), hostsPlanned: planned, capacity: planned * hostCapacity };
  });
  return { hostsNow: n, hostCapacity, leadSec: Math.round(leadSec), add, drain, timeline, notes };
}

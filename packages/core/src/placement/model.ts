import { formatBytes, formatDuration } from "../format.ts";
import { fmtNumber, fmtPct, fmtRate } from "./format.ts";
import type { RebalanceSettings } from "./settings.ts";
import type { MoveFeasibility, PlacementHost, PlacementShardlet } from "./types.ts";
import { windowAt, windowLabel } from "./window.ts";

/**
 * The cluster as the placement planners see it: per host its load (events/s), bytes, and its share
 * of the cluster load (the mean utilisation times its capacity, so hosts of different sizes are
 * compared fairly; with equal capacities the share is the plain mean).
 */

export interface HostModel {
  host: PlacementHost;
  label: string;
  /** Events/s, with in-flight moves already counted on their destination (raised to its outlook). */
  load: number;
  /** What the outlook added to `load` (0 when it did not raise it); moves planned later do not change it. */
  outlookRise: number;
  bytes: number;
  /** What this host would carry if every active host were equally utilised. */
  share: number;
  /** Routed shardlets on the host (the source side of in-flight moves included). */
  shardlets: PlacementShardlet[];
}

export interface ClusterModel {
  hosts: Map<string, HostModel>;
  /** Active hosts in id order. */
  active: HostModel[];
  /** Cluster load / capacity of the active hosts (the load of draining hosts included). */
  meanUtil: number;
  totalLoad: number;
  /** All active hosts have the same capacity (messages then say "mean" without qualification). */
  uniformCapacity: boolean;
}

export interface ModelInput {
  hosts: readonly PlacementHost[];
  shardlets: readonly PlacementShardlet[];
  inFlightMoves?: ReadonlyMap<string, string>;
  labels?: ReadonlyMap<string, string>;
  /**
   * Load each host is expected to reach within about one migration's duration (a caller's short
   * look-ahead, events/s). A host is planned at the larger of it and its current load, and the
   * shares follow, so a host climbing faster than the rest triggers before it is over, and a
   * climbing host is not picked as a destination for the room it has only now.
   */
  outlook?: ReadonlyMap<string, number>;
  /** How far ahead the outlook looks (seconds): said in reasons and notes, not planned on. */
  outlookLeadSec?: number;
}

export function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function buildModel(input: ModelInput): ClusterModel {
  const hosts = new Map<string, HostModel>();
  for (const h of [...input.hosts].sort(byId)) {
    hosts.set(h.id, { host: h, label: input.labels?.get(h.id) ?? h.id, load: 0, outlookRise: 0, bytes: Math.max(0, h.sizeBytes), share: 0, shardlets: [] });
  }
  for (const s of input.shardlets) {
    const home = hosts.get(s.hostId);
    if (!home) continue;
    home.shardlets.push(s);
    const destId = input.inFlightMoves?.get(s.id);
    const dest = destId !== undefined ? hosts.get(destId) : undefined;
    const load = Math.max(0, s.load);
    if (dest && dest !== home) {
      // The move will land: plan as if it had, so a second move does not chase the same load.
      dest.load += load;
      dest.bytes += Math.max(0, s.sizeBytes);
    } else {
      home.load += load;
    }
  }
  if (input.outlook) {
    for (const [id, o] of input.outlook) {
      const h = hosts.get(id);
      if (h && Number.isFinite(o) && o > h.load) {
        h.outlookRise = o - h.load;
        h.load = o;
      }
    }
  }
  const active = [...hosts.values()].filter((h) => h.host.status === "active");
  const capacity = active.reduce((sum, h) => sum + Math.max(0, h.host.capacityEventsPerSec), 0);
  let totalLoad = 0;
  for (const h of hosts.values()) if (h.host.status !== "down") totalLoad += h.load;
  const meanUtil = capacity > 0 ? totalLoad / capacity : 0;
  for (const h of active) h.share = meanUtil * Math.max(0, h.host.capacityEventsPerSec);
  const caps = new Set(active.map((h) => h.host.capacityEventsPerSec));
  return { hosts, active, meanUtil, totalLoad, uniformCapacity: caps.size <= 1 };
}

export function shardletLabel(s: PlacementShardlet, labels?: ReadonlyMap<string, string>): string {
  return labels?.get(s.id) ?? `shardlet ${s.id}`;
}

/** The load a host may reach after taking a move: its capacity minus the headroom. */
export function loadLimit(h: HostModel, settings: RebalanceSettings): number {
  return Math.max(0, h.host.capacityEventsPerSec) * (1 - settings.headroomFraction);
}

export function bytesLimit(h: HostModel, settings: RebalanceSettings): number {
  return Math.max(0, h.host.capacityBytes) * (1 - settings.headroomFraction);
}

/** How far a host is above (or below) its share, as a fraction: 0.45 = 45% above. */
export function aboveShare(h: HostModel): number {
  return h.share > 0 ? h.load / h.share - 1 : h.load > 0 ? Infinity : 0;
}

/**
 * "host-1 carries 600 events/s", or for a host planned at its outlook "host-1 is rising: planned
 * at 900 events/s, 60 min ahead (600 events/s now)", so an operator sees why a host under its
 * limit is relieved.
 */
export function loadPhrase(h: HostModel, load: number, leadSec?: number): string {
  if (!(h.outlookRise > 0)) return `${h.label} carries ${fmtRate(load)}`;
  const ahead = leadSec !== undefined && leadSec > 0 ? `${formatDuration(leadSec * 1000)} ahead` : "on its trend";
  return `${h.label} is rising: planned at ${fmtRate(load)}, ${ahead} (${fmtRate(Math.max(0, load - h.outlookRise))} now)`;
}

export function meanPhrase(h: HostModel, model: ClusterModel): string {
  return model.uniformCapacity ? `the mean of ${fmtRate(h.share)}` : `its capacity-weighted share of ${fmtRate(h.share)}`;
}

export function headroomCheck(dest: HostModel, loadAfter: number, bytesAfter: number, settings: RebalanceSettings): MoveFeasibility["headroom"] {
  const lim = loadLimit(dest, settings);
  const blim = bytesLimit(dest, settings);
  const ok = loadAfter <= lim + 1e-9 && bytesAfter <= blim + 1e-9;
  const cap = dest.host.capacityEventsPerSec;
  const util = cap > 0 ? loadAfter / cap : Infinity;
  return {
    ok,
    detail:
      `${dest.label} after the move: ${fmtRate(loadAfter)} of ${fmtRate(cap)} (${fmtPct(util)}) and ${formatBytes(bytesAfter)} of ${formatBytes(dest.host.capacityBytes)}; ` +
      `limit ${fmtPct(1 - settings.headroomFraction)} of capacity (${fmtPct(settings.headroomFraction)} headroom)`,
  };
}

export function bandwidthCheck(bytes: number, alreadyPlanned: number, settings: RebalanceSettings): MoveFeasibility["bandwidth"] {
  const bw = settings.bandwidthBytesPerSec;
  const total = alreadyPlanned + bytes;
  const ok = total <= bw * settings.maxCopySec;
  const own = `${formatBytes(bytes)} at ${formatBytes(bw)}/s: about ${formatDuration((bytes / bw) * 1000)}`;
  const shared = alreadyPlanned > 0 ? `; ${formatDuration((total / bw) * 1000)} with the other moves of this run` : "";
  return { ok, detail: `${own}${shared} (budget ${formatDuration(settings.maxCopySec * 1000)} per run)` };
}

export function windowCheck(bytes: number, now: number, settings: RebalanceSettings): MoveFeasibility["window"] {
  const w = windowAt(now, settings);
  const copyMs = (bytes / settings.bandwidthBytesPerSec) * 1000;
  if (w.anyTime) return { ok: true, detail: "no migration window set: may run any time" };
  const label = windowLabel(settings);
  if (copyMs > w.lengthMs) {
    return { ok: false, detail: `the copy needs about ${formatDuration(copyMs)}, longer than the window ${label}` };
  }
  if (w.open) {
    const left = w.end - now;
    return { ok: true, detail: `window ${label} is open (${formatDuration(left)} left); the copy needs about ${formatDuration(copyMs)}` };
  }
  return { ok: true, detail: `window ${label} opens in ${formatDuration(w.start - now)}; the move waits for it` };
}

export function perMbText(benefitPerMb: number): string {
  return `${fmtNumber(benefitPerMb)} events/s per MiB`;
}

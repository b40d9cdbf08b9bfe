import { copySpeedNote, ForecastErrorTracker, planHybridCapacity, skillGate, type CapacityHost, type CapacitySettings, type ErrorTrackerState } from "@shardcast/core";
import {
  getCapacitySettings,
  getRebalanceSettings,
  getLatestTrackerState,
  listCapacityHosts,
  pendingHostProvisions,
  type AddHostDetails,
  type CapacityPlanHost,
  type ControlDb,
  type DrainHostDetails,
  type NewAnalyzerProposal,
  type StoredCapacityPlan,
} from "@shardcast/db";
import { copySpeedFor } from "../domain/copy-speed.ts";
import type { AnalyzerInputs } from "./inputs.ts";

/** The series id of the cluster's total write rate in the forecast error tracker. */
export const CLUSTER_SERIES = "cluster";

export interface ClusterCapacity {
  settings: CapacitySettings;
  plan: StoredCapacityPlan;
  /** The cluster forecast the plan was made from (events/s per step from `startMs`). */
  forecast: { startMs: number; stepMs: number; values: number[] };
  tracker: ErrorTrackerState;
  /** The plan's add_host and drain_host proposals. */
  rows: NewAnalyzerProposal[];
}

/** Cluster write rate per history step: every shardlet's history summed, aligned at their ends. */
export function clusterHistory(shardlets: ReadonlyArray<{ history: readonly number[] }>, steps: number): number[] {
  const out = new Array<number>(steps).fill(0);
  for (const s of shardlets) {
    const offset = steps - s.history.length;
    s.history.forEach((v, i) => {
      if (offset + i >= 0) out[offset + i]! += v;
    });
  }
  return out;
}

/** Cluster forecast per step: the shardlet forecasts summed. */
export function clusterForecast(forecasts: ReadonlyMap<string, readonly number[]>, steps: number): number[] {
  const out = new Array<number>(steps).fill(0);
  for (const values of forecasts.values()) for (let i = 0; i < steps; i++) out[i]! += Number.isFinite(values[i]) ? values[i]! : 0;
  return out;
}

/** A provisioning that has not reported for this long is no longer counted as a host on its way. */
function provisioningGraceMs(s: CapacitySettings): number {
  return (2 * s.provisionSec + 600) * 1000;
}

/**
 * The cluster's capacity plan for one analyzer run over every stream: the shardlet forecasts
 * summed, checked against what the forecasts of earlier runs got wrong (the error tracker; an
 * untrusted forecast makes the plan follow the observed load), and core's planner on the hosts
 * there are, the ones being provisioned and the bytes each holds. Null when capacity planning is
 * off.
 */
export async function planClusterCapacity(
  db: ControlDb,
  q: { nowMs: number; inputs: AnalyzerInputs; historySteps: number; forecasts: ReadonlyMap<string, readonly number[]>; model: string },
): Promise<ClusterCapacity | null> {
  const configured = await getCapacitySettings(db);
  if (!configured.enabled) return null;
  const speed = await copySpeedFor(db, configured.copyBytesPerSec);
  const settings: CapacitySettings = { ...configured, copyBytesPerSec: speed.bytesPerSec };
  const { inputs } = q;
  const stepMs = inputs.bucketMs;
  const history = clusterHistory(inputs.analyzerShardlets, q.historySteps);
  const values = clusterForecast(q.forecasts, inputs.horizonSteps);
  const observed = history.length > 0 ? history[history.length - 1]! : 0;

  // Steps are bucket indices, so every run scores the same buckets the same way.
  const baseStep = Math.round(inputs.baseMs / stepMs);
  const saved = (await getLatestTrackerState(db, "cluster")) as ErrorTrackerState | null;
  const tracker = new ForecastErrorTracker({}, saved ?? undefined);
  history.forEach((actual, i) => tracker.observe(CLUSTER_SERIES, baseStep - history.length + i, actual));
  const trust = tracker.status(CLUSTER_SERIES);
  tracker.recordForecast(CLUSTER_SERIES, baseStep, values);
  const untrusted = trust.trusted ? null : (tracker.describe(CLUSTER_SERIES) ?? "recent forecasts missed the observed load");

  const [rows, pending] = await Promise.all([listCapacityHosts(db), pendingHostProvisions(db, new Date(q.nowMs - provisioningGraceMs(settings)))]);
  const live = rows.filter((h) => !h.retiredAt);
  // A host on its way is new hardware: it gets the configured figure, not a slowed neighbour's measured one.
  const capacities = live.map((h) => h.configuredEventsPerSec).sort((a, b) => a - b);
  const typical = capacities[capacities.length >> 1] ?? 0;
  const hosts: CapacityPlanHost[] = [
    ...live.map((h) => ({ id: h.id, name: h.name, status: h.status, capacityEventsPerSec: h.capacityEventsPerSec, sizeBytes: h.sizeBytes, addedAtMs: h.createdAt.getTime() })),
    ...pending.map((p) => ({ id: `provisioning:${p.id}`, name: "(being provisioned)", status: "provisioning" as const, capacityEventsPerSec: typical, sizeBytes: 0, addedAtMs: null })),
  ];
  // A shard's home host keeps the shard's overflow log: it can be drained of shardlets but not leave.
  const homes = new Set(live.filter((h) => h.homeShards > 0).map((h) => h.id));
  const input: CapacityHost[] = hosts.map((h) => ({
    id: h.id,
    status: h.status,
    capacityEventsPerSec: h.capacityEventsPerSec,
    sizeBytes: h.sizeBytes,
    addedAtMs: h.addedAtMs,
    keep: homes.has(h.id),
  }));
  const upperFactor = tracker.upperFactor(CLUSTER_SERIES, settings.forecastQuantile);
  const moveMode = (await getRebalanceSettings(db)).moveMode;
  // Predict up, react down: the forecast plans only while it beats holding the observed load.
  const plan = planHybridCapacity({ nowMs: inputs.baseMs, stepMs, forecast: values, observed, hosts: input, settings, untrusted, upperFactor, moveMode }, skillGate(tracker.skill(CLUSTER_SERIES)));
  const note = copySpeedNote(speed, configured.copyBytesPerSec);
  if (note) plan.notes.push(note);
  const stored: StoredCapacityPlan = { ...plan, stepMs, observed, untrusted, mode: settings.mode, model: q.model, hosts };
  const forecast = { startMs: inputs.baseMs, stepMs, values };
  const out: NewAnalyzerProposal[] = [];
  if (plan.add) {
    const { reason, ...add } = plan.add;
    const details: AddHostDetails = { ...add, forecast, observed, hostsNow: plan.hostsNow, hostCapacity: plan.hostCapacity, untrusted };
    out.push({
      kind: "add_host",
      urgencySec: Math.max(0, (add.needByMs - q.nowMs) / 1000),
      expectedBenefit: add.peak,
      reason,
      details: { ...details },
    });
  }
  if (plan.drain) {
    const { reason, ...drain } = plan.drain;
    const details: DrainHostDetails = { ...drain, forecast, observed, hostsNow: plan.hostsNow };
    out.push({ kind: "drain_host", sourceHostId: drain.hostId, urgencySec: null, expectedBenefit: drain.savingSec, reason, details: { ...details } });
  }
  return { settings, plan: stored, forecast, tracker: tracker.toJSON(), rows: out };
}

/**
 * The analyzer's own scale signal and the plan's add_host as one proposal: the plan's figures
 * (when to ask, lead, bytes to fill) with the signal's reason kept beside the plan's.
 */
export function mergeAddHost(rows: NewAnalyzerProposal[], planned: NewAnalyzerProposal[]): NewAnalyzerProposal[] {
  const signal = rows.find((r) => r.kind === "add_host");
  const add = planned.find((r) => r.kind === "add_host");
  const rest = rows.filter((r) => r.kind !== "add_host");
  const drains = planned.filter((r) => r.kind === "drain_host");
  if (!add) return [...rows, ...drains];
  if (!signal) {
    // Load already here is the reactive signal's to call (at its own threshold); the plan adds
    // a host on its own only for load ahead, which is what acting on the forecast buys.
    const ahead = typeof add.details?.needByMs === "number" && typeof add.details.forecast === "object" && add.details.needByMs > (add.details.forecast as { startMs: number }).startMs;
    return ahead ? [...rest, add, ...drains] : [...rows, ...drains];
  }
  return [
    ...rest,
    { ...add, reason: `${add.reason}; ${signal.reason}`.slice(0, 2000), details: { ...(signal.details ?? {}), ...(add.details ?? {}) } },
    ...drains,
  ];
}

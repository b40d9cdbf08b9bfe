import { processingRate, type MemberTelemetry } from "./telemetry.ts";

/**
 * How much of a group's load each member should carry, from how fast its handler works (events
 * per second of handler time, measured by the SDK). A member three times slower gets about a third
 * of a fast one's load. The assignor balances load per unit of this weight.
 *
 * Stateful on purpose, through `capacity`: the rate a member was last weighed at is stored with
 * it, and only replaced when the measurement departs from it by more than `band`. Measured rates
 * wander; without that, every wobble would be a reconcile and, past the assignor's tolerance, a
 * hand-off back and forth.
 */
export interface WeighedMember {
  id: string;
  telemetry: MemberTelemetry | null;
  telemetryAt: number | null;
  lastSeenAt: number;
  sessionTimeoutMs: number;
  /** The rate (events/s of handler time) the member is weighed at now; null: not measured. */
  capacity: number | null;
}

export interface WeightOptions {
  /** `equal` (the setting): every member weighs the same and stored capacities are cleared. */
  mode: "throughput" | "equal";
  /** A sample smaller than this many events is too young to weigh by (default 50). */
  minEvents?: number;
  /** ...or than this much handler time, ms (default 1,000): a near-idle handler says nothing about speed. */
  minHandlerMs?: number;
  /** Relative change of the measured rate that replaces the stored one (default 0.3). */
  band?: number;
}

export interface MemberWeights {
  /** Relative weight per member, 1 for a typical one, within [MIN_WEIGHT, MAX_WEIGHT]. */
  weights: Map<string, number>;
  /** The capacity to store per member (null: not measured). */
  capacity: Map<string, number | null>;
  /** Members whose stored capacity must change: the assignment should be computed again. */
  changed: string[];
}

/** Even a very slow member keeps a share: weighing it at nothing would starve it of every shardlet. */
export const MIN_WEIGHT = 0.1;
export const MAX_WEIGHT = 10;

/** The rate to weigh a member by, or null: no telemetry, a sample too young, or none sent lately. */
export function measuredCapacity(m: WeighedMember, opts: Pick<WeightOptions, "minEvents" | "minHandlerMs">): number | null {
  const t = m.telemetry;
  if (!t || m.telemetryAt === null) return null;
  // A member that keeps talking without telemetry (a client downgraded, plain HTTP) is not weighed
  // by what it said a session ago.
  if (m.telemetryAt < m.lastSeenAt - m.sessionTimeoutMs) return null;
  if (t.events < (opts.minEvents ?? 50) || t.handlerMs < (opts.minHandlerMs ?? 1_000)) return null;
  const rate = processingRate(t);
  return rate !== null && Number.isFinite(rate) && rate > 0 ? rate : null;
}

export function memberWeights(members: readonly WeighedMember[], opts: WeightOptions): MemberWeights {
  const band = opts.band ?? 0.3;
  const capacity = new Map<string, number | null>();
  const changed: string[] = [];
  for (const m of members) {
    const measured = opts.mode === "equal" ? null : measuredCapacity(m, opts);
    let next = measured;
    if (measured !== null && m.capacity !== null && m.capacity > 0) {
      const ratio = measured / m.capacity;
      if (ratio <= 1 + band && ratio >= 1 / (1 + band)) next = m.capacity;
    }
    capacity.set(m.id, next);
    if (next !== m.capacity) changed.push(m.id);
  }
  return { weights: weightsOf(capacity), capacity, changed };
}

/** Relative weights from capacities (as stored: the weights the current assignment was computed with). */
export function weightsOf(capacity: ReadonlyMap<string, number | null>): Map<string, number> {
  const known = [...capacity.values()].filter((c): c is number => c !== null).sort((a, b) => a - b);
  const weights = new Map<string, number>();
  // Unmeasured members weigh as a typical measured one: with nothing measured, all weigh the same.
  const ref = known.length === 0 ? null : median(known);
  for (const [id, c] of capacity) weights.set(id, ref === null || c === null ? 1 : Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, c / ref)));
  return weights;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

import { createRng, type Rng } from "../workload/rng.ts";
import { ZipfSampler } from "../workload/zipf.ts";
import type { CacheTraceEvent } from "./cache-sim-types.ts";

/**
 * A seeded read trace in which some event types announce reads. Each tenant owns a few shardlets;
 * each of its "precursor" types (`order_placed:tenant-3`) is, with `followProbability`, followed
 * (all its shardlets together, or each on its own: `followTogether`) `lag` steps later (its own lag, drawn from `lagSteps`, give or take one step with `lagJitter`)
 * by reads of the shardlets it announces, by the tenant's consumer partition. Noise types are
 * written at random and announce nothing; background reads are Zipf-distributed over all
 * shardlets. At each pattern change a share of the precursors switch to other shardlets of their
 * tenant, so a model that cannot unlearn falls behind. `rateMultiplier` scales every arrival rate
 * per step (cyclically), so a real load curve can drive it.
 */
export interface CorrelatedTraceOptions {
  seed: number | string;
  steps: number;
  stepMs: number;
  tenants: number;
  shardletsPerTenant: number;
  precursorsPerTenant: number;
  /** Shardlets each precursor announces. */
  announce: number;
  followProbability: number;
  /**
   * Whether an occurrence's announced shardlets are read together (all of them, or none: the work
   * the event starts happens or not) or each on its own with `followProbability`.
   */
  followTogether: boolean;
  /** Range of the precursors' lags, steps (inclusive). */
  lagSteps: readonly [number, number];
  /** Probability that one follow-up comes a step earlier or later than its precursor's lag. */
  lagJitter: number;
  /** Expected occurrences of each precursor type per step. */
  precursorRate: number;
  /** Range of reads of each announced shardlet per follow-up (inclusive). */
  readsPerFollow: readonly [number, number];
  partitions: number;
  noiseTypes: number;
  /** Expected occurrences of each noise type per step. */
  noiseRate: number;
  backgroundReadsPerStep: number;
  zipfS: number;
  medianBytes: number;
  /** Log-space spread of shardlet sizes (lognormal). */
  sizeSigma: number;
  /** Evenly spaced. */
  patternChanges: number;
  /** Share of the precursors that switch shardlets at a change. */
  changeShare: number;
  rateMultiplier?: readonly number[] | undefined;
}

export const CORRELATED_TRACE_DEFAULTS: Omit<CorrelatedTraceOptions, "seed"> = {
  steps: 1440,
  stepMs: 10_000,
  tenants: 20,
  shardletsPerTenant: 8,
  precursorsPerTenant: 2,
  announce: 3,
  followProbability: 0.7,
  followTogether: true,
  lagSteps: [1, 4],
  lagJitter: 0.2,
  precursorRate: 0.05,
  readsPerFollow: [1, 3],
  partitions: 4,
  noiseTypes: 20,
  noiseRate: 0.3,
  backgroundReadsPerStep: 10,
  zipfS: 1,
  medianBytes: 64 * 1024,
  sizeSigma: 1,
  patternChanges: 1,
  changeShare: 0.5,
};

export interface PrecursorTruth {
  type: string;
  tenant: number;
  lagSteps: number;
  /** Announced shardlets per pattern epoch (one more epoch than changes). */
  announces: string[][];
}

export interface CorrelatedTrace {
  events: CacheTraceEvent[];
  shardlets: Array<{ id: string; tenant: number; bytes: number }>;
  workingSetBytes: number;
  precursors: PrecursorTruth[];
  noiseTypes: string[];
  /** Steps at which the pattern changed. */
  changeSteps: number[];
  stepMs: number;
}

const PRECURSOR_KINDS = ["order_placed", "invoice_issued", "user_signed_up", "cart_updated", "report_requested", "payment_failed"];

/** Poisson variate: Knuth's product method for small means, a rounded normal for large ones. */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(rng.int(pool.length), 1)[0]!);
  return out;
}

export const intIn = (rng: Rng, [lo, hi]: readonly [number, number]) => lo + rng.int(Math.max(0, hi - lo) + 1);

export function correlatedTrace(options: Partial<CorrelatedTraceOptions> & { seed: number | string }): CorrelatedTrace {
  const o: CorrelatedTraceOptions = { ...CORRELATED_TRACE_DEFAULTS, ...options };
  if (!(o.steps >= 1) || !(o.tenants >= 1) || !(o.shardletsPerTenant >= 1) || !(o.stepMs > 0)) throw new RangeError("correlated trace: steps, tenants, shardletsPerTenant and stepMs must be positive");
  const rng = createRng(o.seed);
  // Separate streams, so changing one knob leaves the other parts of the trace as they were.
  const layout = rng.fork("layout");
  const arrivals = rng.fork("arrivals");
  const timing = rng.fork("timing");

  const shardlets: CorrelatedTrace["shardlets"] = [];
  const byTenant: string[][] = [];
  for (let k = 0; k < o.tenants; k++) {
    byTenant.push([]);
    for (let j = 0; j < o.shardletsPerTenant; j++) {
      const id = `tenant-${k}/s${j}`;
      byTenant[k]!.push(id);
      shardlets.push({ id, tenant: k, bytes: Math.max(1, Math.round(o.medianBytes * Math.exp(o.sizeSigma * layout.normal()))) });
    }
  }
  const bytesOf = new Map(shardlets.map((s) => [s.id, s.bytes]));
  // Popularity is independent of tenant order.
  const byRank = sample(layout, shardlets.map((s) => s.id), shardlets.length);
  const zipf = new ZipfSampler(byRank.length, o.zipfS, arrivals.fork("zipf"));

  const precursors: PrecursorTruth[] = [];
  for (let k = 0; k < o.tenants; k++) {
    for (let j = 0; j < o.precursorsPerTenant; j++) {
      const kind = PRECURSOR_KINDS[j % PRECURSOR_KINDS.length]!;
      const type = `${kind}${j >= PRECURSOR_KINDS.length ? `-${Math.floor(j / PRECURSOR_KINDS.length)}` : ""}:tenant-${k}`;
      precursors.push({ type, tenant: k, lagSteps: intIn(layout, o.lagSteps), announces: [sample(layout, byTenant[k]!, o.announce)] });
    }
  }
  const changeSteps = Array.from({ length: Math.max(0, o.patternChanges) }, (_, c) => Math.floor((o.steps * (c + 1)) / (o.patternChanges + 1)));
  for (let c = 0; c < changeSteps.length; c++) {
    for (const pre of precursors) {
      const cur = pre.announces[pre.announces.length - 1]!;
      if (!layout.chance(o.changeShare)) {
        pre.announces.push(cur);
        continue;
      }
      const others = byTenant[pre.tenant]!.filter((id) => !cur.includes(id));
      const fresh = sample(layout, others, o.announce);
      // A tenant with too few other shardlets keeps some of the old ones.
      pre.announces.push([...fresh, ...sample(layout, cur, o.announce - fresh.length)]);
    }
  }
  const noiseTypes = Array.from({ length: o.noiseTypes }, (_, i) => `noise-${i}`);

  const events: CacheTraceEvent[] = [];
  const at = (step: number) => (step + timing.next()) * o.stepMs;
  const read = (step: number, id: string, target: string | undefined) => events.push({ t: at(step), kind: "read", shardletId: id, bytes: bytesOf.get(id)!, ...(target ? { target } : {}) });
  const mult = o.rateMultiplier && o.rateMultiplier.length > 0 ? o.rateMultiplier : [1];
  let epoch = 0;
  for (let s = 0; s < o.steps; s++) {
    while (epoch < changeSteps.length && s >= changeSteps[epoch]!) epoch++;
    const m = Math.max(0, mult[s % mult.length]!);
    for (const pre of precursors) {
      const n = poisson(arrivals, o.precursorRate * m);
      for (let i = 0; i < n; i++) {
        events.push({ t: at(s), kind: "write", type: pre.type, shardletId: arrivals.pick(byTenant[pre.tenant]!) });
        if (o.followTogether && !arrivals.chance(o.followProbability)) continue;
        let lag = pre.lagSteps;
        if (arrivals.chance(o.lagJitter)) lag += arrivals.chance(0.5) ? 1 : -1;
        const when = s + Math.max(1, lag);
        if (when >= o.steps) continue;
        const partition = `consumer-${pre.tenant % Math.max(1, o.partitions)}`;
        for (const id of pre.announces[epoch]!) {
          if (!o.followTogether && !arrivals.chance(o.followProbability)) continue;
          for (let r = intIn(arrivals, o.readsPerFollow); r > 0; r--) read(when, id, partition);
        }
      }
    }
    for (const type of noiseTypes) {
      for (let n = poisson(arrivals, o.noiseRate * m); n > 0; n--) events.push({ t: at(s), kind: "write", type, shardletId: arrivals.pick(shardlets).id });
    }
    for (let n = poisson(arrivals, o.backgroundReadsPerStep * m); n > 0; n--) read(s, byRank[zipf.sample()]!, undefined);
  }
  // Follow-up reads are generated ahead of their step; one stable sort puts everything in time order.
  events.sort((x, y) => x.t - y.t);
  return { events, shardlets, workingSetBytes: shardlets.reduce((sum, s) => sum + s.bytes, 0), precursors, noiseTypes, changeSteps, stepMs: o.stepMs };
}

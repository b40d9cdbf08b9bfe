import { z } from "zod";
import { ShardcastError } from "../errors.ts";

/**
 * The correlation engine's memory, kept apart from its logic so the persisted shape and its
 * validation live in one place. Counters are exponentially decayed at two half-lives (short and
 * long) with the landmark trick: a unit added now is stored as `up`, which grows by 2^(1/halfLife)
 * per step, so decaying everything is one multiplication per step instead of one per counter;
 * ratios of stored values need no correction, and `rescale` brings `up` back to 1 before it
 * overflows.
 */
export const correlationOptionsSchema = z
  .object({
    /** Reads up to this many steps after an event count as following it. */
    maxLagSteps: z.number().int().min(1).max(64).default(6),
    shortHalfLifeSteps: z.number().min(1).max(1e6).default(30),
    longHalfLifeSteps: z.number().min(1).max(1e7).default(720),
    maxTypes: z.number().int().min(2).max(100_000).default(200),
    maxShardlets: z.number().int().min(2).max(1_000_000).default(2000),
    /** Keep the lagged correlations between types; an engine of attribute values has no use for them. */
    typeMatrix: z.boolean().default(true),
    /**
     * Shardlet entries per type: an attribute value announces its own few shardlets, and its
     * engine holds many values, so it keeps fewer per value.
     */
    pairsPerType: z.number().int().min(8).max(1024).default(256),
  })
  .refine((o) => o.longHalfLifeSteps >= o.shortHalfLifeSteps, { message: "the long half-life must be at least the short one", path: ["longHalfLifeSteps"] });

export type CorrelationOptions = z.infer<typeof correlationOptionsSchema>;

/** A step whose read window is still open: the first lag at which each shardlet was read after it. */
export interface Origin {
  step: number;
  types: Array<[slot: number, count: number]>;
  reads: Array<[slot: number, count: number]>;
  first: Map<number, number>;
}

export interface TypeStats {
  rateS: Float64Array;
  rateL: Float64Array;
  sqS: Float64Array;
  sqL: Float64Array;
  /** Completed origin steps in which the type occurred. */
  occS: Float64Array;
  occL: Float64Array;
  /** Reads of any shardlet in those steps (long-term): how busy the steps the type occurs in are. */
  loadL: Float64Array;
  last: Float64Array;
}

export interface ShardletStats {
  readsS: Float64Array;
  readsL: Float64Array;
  /** Completed origin steps whose window held a read of the shardlet. */
  baseS: Float64Array;
  baseL: Float64Array;
  /**
   * Steps in which it was read; of those, the ones followed by another read within the window;
   * and the ones with another read in the same step or within the window.
   */
  selfNS: Float64Array;
  selfNL: Float64Array;
  selfJS: Float64Array;
  selfJL: Float64Array;
  selfAS: Float64Array;
  selfAL: Float64Array;
  last: Float64Array;
}

export interface Slots {
  names: Array<string | undefined>;
  byName: Map<string, number>;
  free: number[];
}

export interface EngineState {
  opts: CorrelationOptions;
  step: number;
  upS: number;
  upL: number;
  growS: number;
  growL: number;
  stepsS: number;
  stepsL: number;
  originsS: number;
  originsL: number;
  types: Slots;
  t: TypeStats;
  /** Per type slot: shardlet slot -> [short-term first reads, long-term first reads at lag 1..L]. */
  pairs: Array<Map<number, Float64Array> | undefined>;
  /** Key a * maxTypes + b -> sum of count(a, t - lag) * count(b, t) per lag 0..L, short then long. */
  cross: Map<number, Float64Array>;
  shardlets: Slots;
  s: ShardletStats;
  /** Per shardlet slot: partition -> decayed reads (short scale). */
  targets: Array<Map<string, number> | undefined>;
  ring: Origin[];
}

const f64 = (n: number) => new Float64Array(n);

function slots(n: number): Slots {
  // Popped from the end, so slot 0 is handed out first.
  return { names: new Array<string | undefined>(n).fill(undefined), byName: new Map(), free: Array.from({ length: n }, (_, i) => n - 1 - i) };
}

export function emptyState(opts: CorrelationOptions): EngineState {
  const T = opts.maxTypes;
  const S = opts.maxShardlets;
  return {
    opts,
    step: 0,
    upS: 1,
    upL: 1,
    growS: 2 ** (1 / opts.shortHalfLifeSteps),
    growL: 2 ** (1 / opts.longHalfLifeSteps),
    stepsS: 0,
    stepsL: 0,
    originsS: 0,
    originsL: 0,
    types: slots(T),
    t: { rateS: f64(T), rateL: f64(T), sqS: f64(T), sqL: f64(T), occS: f64(T), occL: f64(T), loadL: f64(T), last: f64(T).fill(-1) },
    pairs: new Array<Map<number, Float64Array> | undefined>(T).fill(undefined),
    cross: new Map(),
    shardlets: slots(S),
    s: { readsS: f64(S), readsL: f64(S), baseS: f64(S), baseL: f64(S), selfNS: f64(S), selfNL: f64(S), selfJS: f64(S), selfJL: f64(S), selfAS: f64(S), selfAL: f64(S), last: f64(S).fill(-1) },
    targets: new Array<Map<string, number> | undefined>(S).fill(undefined),
    ring: [],
  };
}

const SHORT_TYPE = ["rateS", "sqS", "occS"] as const;
const LONG_TYPE = ["rateL", "sqL", "occL", "loadL"] as const;
const SHORT_SHARD = ["readsS", "baseS", "selfNS", "selfJS", "selfAS"] as const;
const LONG_SHARD = ["readsL", "baseL", "selfNL", "selfJL", "selfAL"] as const;

/**
 * Divides every stored value of one scale by its `up`, so stored values become true values and
 * `up` is 1 again. Called rarely (when `up` passes 1e100) and before persisting.
 */
export function rescale(st: EngineState, which: "short" | "long"): void {
  const short = which === "short";
  const k = 1 / (short ? st.upS : st.upL);
  if (k === 1) return;
  const L = st.opts.maxLagSteps;
  for (const f of short ? SHORT_TYPE : LONG_TYPE) for (let i = 0; i < st.t[f].length; i++) st.t[f][i]! *= k;
  for (const f of short ? SHORT_SHARD : LONG_SHARD) for (let i = 0; i < st.s[f].length; i++) st.s[f][i]! *= k;
  for (const row of st.pairs) if (row) for (const cell of row.values()) for (let i = short ? 0 : 1; i < (short ? 1 : L + 1); i++) cell[i]! *= k;
  for (const cell of st.cross.values()) for (let i = short ? 0 : L + 1; i < (short ? L + 1 : 2 * L + 2); i++) cell[i]! *= k;
  if (short) {
    for (const m of st.targets) if (m) for (const [p, v] of m) m.set(p, v * k);
    st.stepsS *= k;
    st.originsS *= k;
    st.upS = 1;
  } else {
    st.stepsL *= k;
    st.originsL *= k;
    st.upL = 1;
  }
}

const num = z.number().finite().min(0);
const pair = z.tuple([num, num]);
const step = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const correlationDataSchema = z.object({
  v: z.literal(1),
  options: correlationOptionsSchema,
  step,
  steps: pair,
  origins: pair,
  types: z.array(z.object({ name: z.string().min(1), last: z.number().int().min(-1), rate: pair, sq: pair, occ: pair, load: num.optional() })),
  shardlets: z.array(
    z.object({ id: z.string().min(1), last: z.number().int().min(-1), reads: pair, base: pair, selfN: pair, selfJ: pair, selfA: pair, targets: z.array(z.tuple([z.string(), num])) }),
  ),
  pairs: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0), z.array(num)])),
  cross: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0), z.array(num)])),
  ring: z.array(
    z.object({
      step,
      types: z.array(z.tuple([z.number().int().min(0), num])),
      reads: z.array(z.tuple([z.number().int().min(0), num])),
      first: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)])),
    }),
  ),
});

export type CorrelationData = z.infer<typeof correlationDataSchema>;

/** Six significant digits: estimates are ratios of decayed counts, the rest is noise that costs bytes. */
const round = (x: number): number => (x === 0 ? 0 : Number(x.toPrecision(6)));
const roundAll = (xs: ArrayLike<number>): number[] => Array.from(xs, round);
/** Entries whose every count has decayed below this (in occurrences) are not written. */
const NEGLIGIBLE = 1e-4;
const negligible = (xs: ArrayLike<number>): boolean => Array.prototype.every.call(xs, (x: number) => x < NEGLIGIBLE);

/**
 * A JSON-safe copy in true (not landmark-scaled) units, rounded, slots renumbered densely. Its size
 * grows with types x shardlets that co-occur (up to 512 per type) and with co-occurring type pairs.
 */
export function stateToData(st: EngineState): CorrelationData {
  rescale(st, "short");
  rescale(st, "long");
  const tIdx = new Map<number, number>();
  const sIdx = new Map<number, number>();
  const types: CorrelationData["types"] = [];
  const shardlets: CorrelationData["shardlets"] = [];
  st.types.names.forEach((name, slot) => {
    if (name === undefined) return;
    tIdx.set(slot, types.length);
    const t = st.t;
    types.push({ name, last: t.last[slot]!, rate: roundAll([t.rateS[slot]!, t.rateL[slot]!]) as [number, number], sq: roundAll([t.sqS[slot]!, t.sqL[slot]!]) as [number, number], occ: roundAll([t.occS[slot]!, t.occL[slot]!]) as [number, number], load: round(t.loadL[slot]!) });
  });
  st.shardlets.names.forEach((id, slot) => {
    if (id === undefined) return;
    sIdx.set(slot, shardlets.length);
    const s = st.s;
    shardlets.push({
      id,
      last: s.last[slot]!,
      reads: [round(s.readsS[slot]!), round(s.readsL[slot]!)],
      base: [round(s.baseS[slot]!), round(s.baseL[slot]!)],
      selfN: [round(s.selfNS[slot]!), round(s.selfNL[slot]!)],
      selfJ: [round(s.selfJS[slot]!), round(s.selfJL[slot]!)],
      selfA: [round(s.selfAS[slot]!), round(s.selfAL[slot]!)],
      targets: [...(st.targets[slot] ?? [])].map(([k, v]): [string, number] => [k, round(v)]),
    });
  });
  const pairs: CorrelationData["pairs"] = [];
  st.pairs.forEach((row, a) => {
    if (row) for (const [s, cell] of row) if (!negligible(cell)) pairs.push([tIdx.get(a)!, sIdx.get(s)!, roundAll(cell)]);
  });
  const cross: CorrelationData["cross"] = [];
  const T = st.opts.maxTypes;
  for (const [key, cell] of st.cross) if (!negligible(cell)) cross.push([tIdx.get(Math.floor(key / T))!, tIdx.get(key % T)!, roundAll(cell)]);
  const ring = st.ring.map((o) => ({
    step: o.step,
    types: o.types.map(([slot, c]): [number, number] => [tIdx.get(slot)!, c]),
    reads: o.reads.map(([slot, c]): [number, number] => [sIdx.get(slot)!, c]),
    first: [...o.first].map(([slot, lag]): [number, number] => [sIdx.get(slot)!, lag]),
  }));
  return { v: 1, options: st.opts, step: st.step, steps: [round(st.stepsS), round(st.stepsL)], origins: [round(st.originsS), round(st.originsL)], types, shardlets, pairs, cross, ring };
}

function bad(message: string): never {
  throw new ShardcastError("bad_request", `correlation state: ${message}`);
}

/** The state `stateToData` wrote. Throws `bad_request` on anything else (the caller may start afresh). */
export function stateFromData(d: unknown): EngineState {
  const parsed = correlationDataSchema.safeParse(d);
  if (!parsed.success) bad(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const data = parsed.data;
  const o = data.options;
  const L = o.maxLagSteps;
  if (data.types.length > o.maxTypes || data.shardlets.length > o.maxShardlets) bad("more entries than the options allow");
  const st = emptyState(o);
  st.step = data.step;
  [st.stepsS, st.stepsL] = data.steps;
  [st.originsS, st.originsL] = data.origins;
  const take = (sl: Slots, name: string, i: number): void => {
    if (sl.byName.has(name)) bad(`duplicate name ${JSON.stringify(name)}`);
    sl.free.pop();
    sl.names[i] = name;
    sl.byName.set(name, i);
  };
  const meanLoad = data.shardlets.reduce((sum, s) => sum + s.reads[1], 0) / (data.steps[1] || 1);
  data.types.forEach((t, i) => {
    take(st.types, t.name, i);
    st.t.last[i] = t.last;
    [st.t.rateS[i], st.t.rateL[i]] = t.rate;
    [st.t.sqS[i], st.t.sqL[i]] = t.sq;
    [st.t.occS[i], st.t.occL[i]] = t.occ;
    // Written before the load was counted: such a type is taken to occur in steps of average load.
    st.t.loadL[i] = t.load ?? t.occ[1] * meanLoad;
  });
  data.shardlets.forEach((s, i) => {
    take(st.shardlets, s.id, i);
    st.s.last[i] = s.last;
    [st.s.readsS[i], st.s.readsL[i]] = s.reads;
    [st.s.baseS[i], st.s.baseL[i]] = s.base;
    [st.s.selfNS[i], st.s.selfNL[i]] = s.selfN;
    [st.s.selfJS[i], st.s.selfJL[i]] = s.selfJ;
    [st.s.selfAS[i], st.s.selfAL[i]] = s.selfA;
    if (s.targets.length > 0) st.targets[i] = new Map(s.targets);
  });
  const nT = data.types.length;
  const nS = data.shardlets.length;
  for (const [a, s, cell] of data.pairs) {
    if (a >= nT || s >= nS || cell.length !== L + 1) bad("a type-shardlet entry is out of range");
    (st.pairs[a] ??= new Map<number, Float64Array>()).set(s, Float64Array.from(cell));
  }
  for (const [a, b, cell] of data.cross) {
    if (a >= nT || b >= nT || a === b || cell.length !== 2 * L + 2) bad("a type-type entry is out of range");
    st.cross.set(a * o.maxTypes + b, Float64Array.from(cell));
  }
  for (const r of data.ring) {
    if (r.step >= data.step || data.step - r.step > L) bad("a pending step is outside the lag window");
    if (r.types.some(([a]) => a >= nT) || r.reads.some(([s]) => s >= nS) || r.first.some(([s, lag]) => s >= nS || lag > L)) bad("a pending step refers to an unknown entry");
    st.ring.push({ step: r.step, types: r.types.map(([a, c]): [number, number] => [a, c]), reads: r.reads.map(([s, c]): [number, number] => [s, c]), first: new Map(r.first) });
  }
  return st;
}

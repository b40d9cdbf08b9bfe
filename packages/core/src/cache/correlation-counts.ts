import type { EngineState, Origin } from "./correlation-state.ts";

/**
 * How a step's observations enter the correlation engine's counts once its read window has closed,
 * and how those counts stay bounded. All weights are in the state's landmark units (see
 * correlation-state.ts).
 */

/**
 * Shardlet entries per type (`pairsPerType`, 256 by default). A full row takes no new shardlets;
 * every `PRUNE_EVERY` steps it is cut to its strongest three quarters, making room. (Pruning on every insert would sort the row once
 * per new pair: a type that occurs with many different reads would spend its time sorting.)
 */
export const PRUNE_EVERY = 32;
/** Partitions remembered per shardlet: enough to name its main reader. */
const TARGETS_PER_SHARDLET = 4;

/** The window of origin `o` closed: its occurrences, first reads and re-reads enter the estimates. */
export function closeWindow(st: EngineState, o: Origin): void {
  const L = st.opts.maxLagSteps;
  const { upS, upL } = st;
  st.originsS += upS;
  st.originsL += upL;
  // The load of the origin step itself, not of its window: the window holds the reads the type
  // announces, which would make every type that announces reads look busy.
  let load = 0;
  for (const [, c] of o.reads) load += c;
  for (const [a] of o.types) {
    st.t.occS[a]! += upS;
    st.t.occL[a]! += upL;
    st.t.loadL[a]! += load * upL;
  }
  const n = o.first.size;
  const slots = new Int32Array(n);
  const lags = new Int32Array(n);
  let i = 0;
  for (const [s, lag] of o.first) {
    st.s.baseS[s]! += upS;
    st.s.baseL[s]! += upL;
    slots[i] = s;
    lags[i++] = lag;
  }
  // The engine's hot loop (types x shardlets read after them): flat arrays, one lookup each.
  for (const [a] of o.types) {
    const row = (st.pairs[a] ??= new Map<number, Float64Array>());
    for (let j = 0; j < n; j++) {
      let cell = row.get(slots[j]!);
      if (cell === undefined) {
        if (row.size >= st.opts.pairsPerType) continue;
        row.set(slots[j]!, (cell = new Float64Array(L + 1)));
      }
      cell[0]! += upS;
      cell[lags[j]!]! += upL;
    }
  }
  for (const [s, count] of o.reads) {
    st.s.selfNS[s]! += upS;
    st.s.selfNL[s]! += upL;
    const later = o.first.has(s);
    if (later) {
      st.s.selfJS[s]! += upS;
      st.s.selfJL[s]! += upL;
    }
    if (later || count > 1) {
      st.s.selfAS[s]! += upS;
      st.s.selfAL[s]! += upL;
    }
  }
}

/** Cuts full rows to the three quarters with the highest conditional probability (short plus long). */
export function pruneRows(st: EngineState): void {
  const L = st.opts.maxLagSteps;
  const cap = st.opts.pairsPerType;
  st.pairs.forEach((row, a) => {
    if (!row || row.size < cap) return;
    const nS = st.t.occS[a]! || 1;
    const nL = st.t.occL[a]! || 1;
    const ranked: Array<[number, number]> = [];
    for (const [s, cell] of row) {
      let jL = 0;
      for (let k = 1; k <= L; k++) jL += cell[k]!;
      ranked.push([s, cell[0]! / nS + jL / nL]);
    }
    ranked.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
    for (const [s] of ranked.slice(0, row.size - Math.floor((cap * 3) / 4))) row.delete(s);
  });
}

export function addTarget(st: EngineState, s: number, target: string, w: number): void {
  const m = (st.targets[s] ??= new Map<string, number>());
  m.set(target, (m.get(target) ?? 0) + w);
  if (m.size <= TARGETS_PER_SHARDLET) return;
  let weakest: string | null = null;
  for (const [k, v] of m) if (k !== target && (weakest === null || v < m.get(weakest)!)) weakest = k;
  if (weakest !== null) m.delete(weakest);
}

/** The partition that read the shardlet most, lately (short-term weights); ties to the lower name. */
export function targetOf(st: EngineState, s: number): string | null {
  const m = st.targets[s];
  let best: string | null = null;
  let bestW = 0;
  if (m) for (const [k, w] of m) if (w > bestW || (w === bestW && best !== null && k < best)) [best, bestW] = [k, w];
  return best;
}

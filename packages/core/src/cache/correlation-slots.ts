import type { EngineState } from "./correlation-state.ts";

type Kind = "types" | "shardlets";

/**
 * When full, a tenth of the capacity is freed at once: eviction has to sweep the pair and
 * correlation maps, so doing it per new name would make churn quadratic.
 */
const EVICT_TO = 0.9;

/** The slot of `name`, taken (evicting the least seen if full) when new; -1 if nothing can be evicted. */
export function slotFor(st: EngineState, kind: Kind, name: string, now: number): number {
  const slots = st[kind];
  const last = kind === "types" ? st.t.last : st.s.last;
  const known = slots.byName.get(name);
  if (known !== undefined) {
    last[known] = now;
    return known;
  }
  if (slots.free.length === 0) {
    const cap = kind === "types" ? st.opts.maxTypes : st.opts.maxShardlets;
    evictLeastSeen(st, kind, now, Math.floor(cap * EVICT_TO));
  }
  const slot = slots.free.pop();
  if (slot === undefined) return -1;
  slots.names[slot] = name;
  slots.byName.set(name, slot);
  last[slot] = now;
  return slot;
}

/**
 * Evicts the entries with the fewest long-term occurrences (types) or reads (shardlets) until at
 * most `keep` remain. Entries seen in step `now` stay: they are being counted right now.
 */
export function evictLeastSeen(st: EngineState, kind: Kind, now: number, keep: number): void {
  const slots = st[kind];
  const last = kind === "types" ? st.t.last : st.s.last;
  const seen = kind === "types" ? st.t.rateL : st.s.readsL;
  const occupied = slots.byName.size;
  if (occupied <= keep) return;
  const candidates = [...slots.byName.values()].filter((i) => last[i]! < now).sort((x, y) => seen[x]! - seen[y]! || x - y);
  const gone = new Set(candidates.slice(0, occupied - keep));
  if (gone.size === 0) return;
  for (const i of gone) {
    slots.byName.delete(slots.names[i]!);
    slots.names[i] = undefined;
    slots.free.push(i);
  }
  if (kind === "types") dropTypes(st, gone);
  else dropShardlets(st, gone);
}

function dropTypes(st: EngineState, gone: ReadonlySet<number>): void {
  const t = st.t;
  for (const a of gone) {
    t.rateS[a] = t.rateL[a] = t.sqS[a] = t.sqL[a] = t.occS[a] = t.occL[a] = t.loadL[a] = 0;
    t.last[a] = -1;
    st.pairs[a] = undefined;
  }
  const T = st.opts.maxTypes;
  for (const key of [...st.cross.keys()]) if (gone.has(Math.floor(key / T)) || gone.has(key % T)) st.cross.delete(key);
  for (const o of st.ring) o.types = o.types.filter(([a]) => !gone.has(a));
}

function dropShardlets(st: EngineState, gone: ReadonlySet<number>): void {
  const s = st.s;
  for (const i of gone) {
    s.readsS[i] = s.readsL[i] = s.baseS[i] = s.baseL[i] = 0;
    s.selfNS[i] = s.selfNL[i] = s.selfJS[i] = s.selfJL[i] = s.selfAS[i] = s.selfAL[i] = 0;
    s.last[i] = -1;
    st.targets[i] = undefined;
  }
  for (const row of st.pairs) if (row) for (const i of gone) row.delete(i);
  for (const o of st.ring) {
    o.reads = o.reads.filter(([i]) => !gone.has(i));
    for (const i of gone) o.first.delete(i);
  }
}

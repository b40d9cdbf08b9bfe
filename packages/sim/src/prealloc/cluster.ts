/** A shardlet of the simulated cluster: a hash range on a host, with its locks and its preparation. */
export interface Shardlet {
  id: string;
  lo: number;
  hi: number;
  host: number;
  bytes: number;
  /** Op-lock windows [from, until): a split holds it at once, a move only at its switch. */
  locks: Array<[number, number]>;
  /** No new preparation starts before the last one ended. */
  busyUntilMs: number;
  /** Writes since the manager's last look. */
  writes: number;
  /** Prepared (isolated and placed): the reactive manager leaves it be. */
  prepared: boolean;
  /** Set when the predictive policy prepared it: when to check whether the surge came, and the part merged back into. */
  prealloc: { untilMs: number; used: boolean; sibling: Shardlet | null; fallbacksIfReactive: number; cost: number } | null;
  retired: boolean;
  /** Writes per second reserved for it on its host. */
  reservedPerSec: number;
}

/** A host of the simulated cluster: its write backlog per tick and the copy it runs. */
export interface Host {
  backlog: number;
  tickArrivals: number;
  tick: number;
  /** Until when a copy runs on this host. */
  copyUntilMs: number;
}

export const TICK_MS = 100;
export const HASH_SPACE = 2 ** 32;

export function lockedAt(s: Shardlet, t: number): boolean {
  for (const [from, until] of s.locks) if (t >= from && t < until) return true;
  return false;
}

/** The content model's records, apart from the model so that its feature hashing can read a type's stats. */

export interface TypeStats {
  name: string;
  /** Matured examples of the type and how many a surge followed (its base rate, whatever the context). */
  examples: number;
  positives: number;
  /** Seed of the type's features in the hashed table. */
  seed: number;
  lastMs: number;
  step: number;
  count: number;
  usual: number;
}

/** Per shardlet and type: events in the last horizon, and examples sampled in the current step. */
export interface Recent {
  count: number;
  lastMs: number;
  step: number;
  sampled: number;
}

export interface Pending {
  shardletId: string;
  atMs: number;
  features: Int32Array;
  type: TypeStats;
}

export interface Evidence {
  probability: number;
  atMs: number;
  cause: string | null;
  keyHashes: number[];
}

/**
 * The `limit` entries with the most evidence (`n`), ties broken by name so a snapshot is stable.
 * Type names come from producers: what is stored and loaded must stay bounded however many there are.
 */
export function mostEvidence<T extends { n: number }>(entries: Iterable<readonly [string, T]>, limit: number): Array<[string, T]> {
  return [...entries]
    .filter(([, v]) => Number.isFinite(v.n))
    .sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .map(([k, v]) => [k, v]);
}

/** At most `limit` base rates to store: the live types first, then the restored ones with the most evidence. */
export function boundedRates(
  types: Iterable<TypeStats>,
  restored: ReadonlyMap<string, { n: number; pos: number }>,
  limit: number,
): Array<[string, { n: number; pos: number }]> {
  const live = mostEvidence(
    [...types].filter((t) => t.examples > 0).map((t) => [t.name, { n: t.examples, pos: t.positives }] as const),
    limit,
  );
  const names = new Set(live.map(([t]) => t));
  return [...live, ...mostEvidence([...restored].filter(([t]) => !names.has(t)), limit - live.length)];
}

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

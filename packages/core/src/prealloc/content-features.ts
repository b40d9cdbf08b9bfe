import { bucket, FAMILY, keyPrefix, mix } from "./features.ts";
import type { ContentEvent, ContentModelConfig } from "./model-types.ts";
import type { SurgeTracker } from "./surge.ts";
import type { TypeStats } from "./content-model-records.ts";

/** The content model's hashed features of an event, with the keys and tenants seen that some of them read. */
export class ContentFeatures {
  private readonly cfg: ContentModelConfig;
  private readonly tracker: SurgeTracker;
  private readonly mask: number;
  private readonly prefixes = new Map<string, number>();
  /** Keys of scored events (so a key counts as new the first time it is scored). */
  private readonly keys = new Map<string, number>();

  constructor(cfg: ContentModelConfig, tracker: SurgeTracker) {
    this.cfg = cfg;
    this.tracker = tracker;
    this.mask = (1 << cfg.featureBits) - 1;
  }

  /** Hashed feature indexes of a scored event; `update` records its key and tenant as seen. */
  features(e: ContentEvent, ts: TypeStats, typeGapSec: number, seen: number, update: boolean): Int32Array {
    const prefix = keyPrefix(e.key);
    const newPrefix = !this.prefixes.has(prefix);
    const keyLast = this.keys.get(e.key);
    const keyGapSec = keyLast === undefined ? 1e6 : (e.atMs - keyLast) / 1000;
    if (update) {
      this.remember(this.prefixes, prefix, e.atMs, this.cfg.maxTypes);
      this.remember(this.keys, e.key, e.atMs, this.cfg.maxKeys);
    }
    const usual = this.tracker.baseline(e.shardletId);
    const shardletRatio = this.tracker.current(e.shardletId) / (usual + 1);
    const t = ts.seed;
    const f = new Int32Array(11);
    f[0] = 0;
    f[1] = this.index(FAMILY.type, t, 0);
    // The tenant's identity is left out: which tenant announces a surge today says little about tomorrow.
    f[2] = this.index(FAMILY.typeGap, t, 100 + bucket(keyGapSec < 1e6 ? 1 : 0));
    f[3] = this.index(FAMILY.newKey, t, keyLast === undefined ? 1 : 0);
    f[4] = this.index(FAMILY.newPrefix, t, newPrefix ? 1 : 0);
    // Gaps past about four minutes share a bucket with "never seen": a type quiet that long is as good as new.
    f[5] = this.index(FAMILY.keyGap, t, bucket(keyGapSec, 8));
    f[6] = this.index(FAMILY.typeGap, t, bucket(typeGapSec, 8));
    f[7] = this.index(FAMILY.typeRate, t, bucket(ts.count / (ts.usual + 1), 8));
    // A shardlet whose usual rate is not known yet (new, or new to this edge) gets buckets of its own.
    const warm = this.tracker.warm(e.shardletId);
    f[8] = this.index(FAMILY.shardletRate, 0, warm ? bucket(shardletRatio, 8) : 15);
    f[9] = this.index(FAMILY.seen, t, bucket(seen, 8));
    f[10] = this.index(FAMILY.usual, 0, warm ? bucket(usual, 16) : 31);
    return f;
  }

  /** Approximate recency: a value is moved to the back only when new, and the oldest goes past the cap. */
  private remember(map: Map<string, number>, key: string, atMs: number, cap: number): void {
    map.set(key, atMs);
    if (map.size > cap) map.delete(map.keys().next().value!);
  }

  private index(family: number, seed: number, b: number): number {
    // Index 0 is the bias; a feature that hashes there is moved by one.
    const h = mix(seed ^ Math.imul(family, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) & this.mask;
    return h === 0 ? 1 : h;
  }
}

import { ShardcastError } from "./errors.ts";
import { keyHash, keyHashSeeded } from "./hash.ts";
import { HASH_SPACE, isRoutedState, type ShardletRoute } from "./types.ts";

const NO_HOSTS: readonly string[] = Object.freeze([]);

function describe(s: ShardletRoute): string {
  return `${s.id} [${s.lo}, ${s.hi})`;
}

function fail(streamId: string, message: string, details?: Record<string, unknown>): never {
  throw new ShardcastError("internal", `routing table of stream ${streamId}: ${message}`, { streamId, ...details });
}

/**
 * Fingerprint of the live shardlets: two 32-bit murmur hashes with different seeds over a
 * canonical text of every routed field, packed into a safe integer (53 bits).
 */
function fingerprint(routes: readonly ShardletRoute[]): number {
  let text = "";
  for (const r of routes) text += `${r.id}\u0000${r.lo}\u0000${r.hi}\u0000${r.hostId}\u0000${r.epoch}\u0000${r.state}\u0000${r.shadowHostId ?? ""}\u0000${r.historyHostIds?.join(",") ?? ""}\u0001`;
  const a = keyHashSeeded(text, 0x5eed);
  const b = keyHashSeeded(text, 0xc0ffee);
  return a * 2 ** 21 + (b >>> 11);
}

/** Radix bits of the first-level index: about two buckets per shardlet, from 16 to 2^20 buckets. */
function radixBits(size: number): number {
  return Math.min(20, Math.max(4, Math.ceil(Math.log2(size)) + 1));
}

/**
 * The in-memory map from key hash to shardlet for one stream. Immutable: a change of any
 * shardlet builds a new table (the edge swaps its reference), so lookups need no locking.
 *
 * Lookup is two-level. A radix index on the top bits of the hash (about two buckets per
 * shardlet) gives the few shardlets that can own the hash; a branch-light binary search over
 * their sorted lower bounds (a `Uint32Array`) picks the one. With even widths that search has
 * one or two candidates; where hot ranges were split finely it stays logarithmic in the
 * shardlets of that bucket. A plain binary search over 10,000 shardlets pays ~14 unpredictable
 * branches per lookup and ran about 10x slower.
 *
 * Route objects are deliberately not frozen: V8 reads properties of frozen objects far more
 * slowly, which showed up as a 40x slower hot loop. `all()` is typed readonly instead.
 */
export class RoutingTable {
  readonly streamId: string;
  /** Number of routed (not pending or retired) shardlets. */
  readonly size: number;
  /**
   * Changes whenever any live shardlet's id, range, host, epoch, state or shadow host changes, or one is added
   * or removed. It is a 53-bit fingerprint, not a counter: compare versions for equality only
   * (epochs, per shardlet, are what orders changes).
   */
  readonly version: number;
  /**
   * Whether any route's events with ids may already be stored on another host (a range with
   * history or flagged overflow-pending): the write path looks ids up there, else it need not look.
   */
  readonly idsElsewhere: boolean;

  readonly #los: Uint32Array;
  /** #first[b]: index of the shardlet owning the first hash of bucket b; #first[buckets] = size - 1. */
  readonly #first: Uint32Array;
  readonly #shift: number;
  readonly #routes: readonly ShardletRoute[];
  readonly #byId: ReadonlyMap<string, ShardletRoute>;

  private constructor(streamId: string, routes: readonly ShardletRoute[]) {
    this.streamId = streamId;
    this.size = routes.length;
    this.#routes = routes;
    this.#los = Uint32Array.from(routes, (r) => r.lo);
    this.#byId = new Map(routes.map((r) => [r.id, r]));
    this.version = fingerprint(routes);
    this.idsElsewhere = routes.some((r) => r.overflowPending === true || (r.historyHostIds?.length ?? 0) > 0);

    const bits = radixBits(routes.length);
    const buckets = 2 ** bits;
    this.#shift = 32 - bits;
    this.#first = new Uint32Array(buckets + 1);
    const width = 2 ** this.#shift;
    let j = 0;
    for (let b = 0; b < buckets; b++) {
      const start = b * width;
      while (j + 1 < routes.length && this.#los[j + 1]! <= start) j++;
      this.#first[b] = j;
    }
    this.#first[buckets] = routes.length - 1;
  }

  /**
   * Builds the table from a stream's shardlets. Retired shardlets are ignored; the live ones must
   * belong to `streamId` and tile [0, 2^32) exactly. Anything else is a corrupt control plane, so
   * it throws `ShardcastError("internal")` naming the first gap or overlap found.
   */
  static build(streamId: string, shardlets: readonly ShardletRoute[]): RoutingTable {
    const live: ShardletRoute[] = [];
    const ids = new Set<string>();
    for (const s of shardlets) {
      if (!isRoutedState(s.state)) continue;
      if (s.streamId !== streamId) fail(streamId, `shardlet ${s.id} belongs to stream ${s.streamId}`);
      if (ids.has(s.id)) fail(streamId, `shardlet ${s.id} appears twice`);
      ids.add(s.id);
      if (!Number.isInteger(s.lo) || !Number.isInteger(s.hi) || s.lo < 0 || s.hi > HASH_SPACE || s.lo >= s.hi) {
        fail(streamId, `shardlet ${describe(s)} is not a non-empty integer range within [0, 2^32)`, { shardletId: s.id });
      }
      // Every route gets the same properties, so the table's objects share one shape (lookups
      // that return objects of several shapes make their callers' property reads polymorphic).
      live.push({ ...s, shadowHostId: s.shadowHostId ?? null, historyHostIds: s.historyHostIds ?? NO_HOSTS });
    }
    if (live.length === 0) fail(streamId, "no live shardlets: [0, 2^32) is not covered");
    live.sort((a, b) => a.lo - b.lo || a.hi - b.hi);

    let expected = 0;
    let prev: ShardletRoute | undefined;
    for (const s of live) {
      if (s.lo > expected) {
        const where = prev ? `between ${describe(prev)} and ${describe(s)}` : `before ${describe(s)}`;
        fail(streamId, `gap: hashes [${expected}, ${s.lo}) are not covered (${where})`, { gap: [expected, s.lo] });
      }
      if (s.lo < expected && prev) {
        const end = Math.min(expected, s.hi);
        fail(streamId, `overlap: ${describe(prev)} and ${describe(s)} both cover [${s.lo}, ${end})`, {
          overlap: [s.lo, end],
          shardletIds: [prev.id, s.id],
        });
      }
      expected = s.hi;
      prev = s;
    }
    if (expected !== HASH_SPACE) {
      fail(streamId, `gap: hashes [${expected}, ${HASH_SPACE}) are not covered (after ${describe(prev!)})`, {
        gap: [expected, HASH_SPACE],
      });
    }
    return new RoutingTable(streamId, live);
  }

  /**
   * Index (into `all()`) of the shardlet owning `hash`. The hash is taken modulo 2^32, so signed
   * 32-bit values work too.
   */
  indexOf(hash: number): number {
    const los = this.#los;
    const h = hash >>> 0;
    const bucket = h >>> this.#shift;
    // The owner is in [first[bucket], first[bucket + 1]]: the owner of the bucket's first hash up to
    // the owner of the next bucket's first hash. Invariant: los[base] <= h. Each step halves the
    // window with a select rather than a branch on which half to descend into.
    let base = this.#first[bucket]!;
    let n = this.#first[bucket + 1]! - base + 1;
    while (n > 1) {
      const half = n >>> 1;
      base = los[base + half]! <= h ? base + half : base;
      n -= half;
    }
    return base;
  }

  /** The shardlet owning `hash` (an unsigned 32-bit key hash). */
  lookup(hash: number): ShardletRoute {
    return this.#routes[this.indexOf(hash)]!;
  }

  /** The shardlet owning `key`: `lookup(keyHash(key))`. */
  route(key: string): ShardletRoute {
    return this.#routes[this.indexOf(keyHash(key))]!;
  }

  byId(id: string): ShardletRoute | undefined {
    return this.#byId.get(id);
  }

  /** Live shardlets sorted by `lo`. Shared with the table: do not mutate. */
  all(): readonly ShardletRoute[] {
    return this.#routes;
  }
}

export interface CacheEntry {
  bytes: number;
  /** Prefetched and not read since. */
  prefetched: boolean;
  /** The latest prediction for it and until when it holds, ms. */
  p: number;
  until: number;
  lastReadStep: number;
}

/**
 * The simulated cache of `cache-sim.ts`: objects in recency order within a byte budget (a Map keeps
 * insertion order, and a touch re-inserts at the end), with what the predictive policy needs to
 * know of each entry and the prefetched bytes that left unread.
 */
export class ByteCache {
  readonly entries = new Map<string, CacheEntry>();
  used = 0;
  wasted = 0;

  constructor(readonly budget: number) {}

  touch(id: string): CacheEntry | undefined {
    const e = this.entries.get(id);
    if (e) {
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.used -= e.bytes;
    if (e.prefetched) this.wasted += e.bytes;
  }

  insert(id: string, e: CacheEntry): void {
    this.entries.set(id, e);
    this.used += e.bytes;
  }

  /** Evicts least recent first (sparing `keep`) until `bytes` more fit. */
  makeRoom(bytes: number, keep?: string): void {
    for (const id of this.entries.keys()) {
      if (this.used + bytes <= this.budget) return;
      if (id !== keep) this.remove(id);
    }
  }

  /**
   * A demand read: true on a hit. A miss inserts the object (if it can fit at all); `room` frees
   * space for it, least recent first unless the policy says otherwise.
   */
  read(id: string, bytes: number, step: number, room: (bytes: number, keep?: string) => void = (b, keep) => this.makeRoom(b, keep)): boolean {
    const e = this.touch(id);
    if (e) {
      e.prefetched = false;
      e.lastReadStep = step;
      if (e.bytes !== bytes) {
        this.used += bytes - e.bytes;
        e.bytes = bytes;
        room(0, id);
        if (this.used > this.budget) this.remove(id);
      }
      return true;
    }
    if (bytes <= this.budget) {
      room(bytes);
      this.insert(id, { bytes, prefetched: false, p: 0, until: -Infinity, lastReadStep: step });
    }
    return false;
  }
}

/**
 * Plain LRU within a byte budget: the baseline the benchmark compares the product's cache
 * (`ValueCache`) with. Kept apart from it on purpose: the baseline must stay the textbook policy
 * whatever the product's does. A Map keeps insertion order, and a touch re-inserts at the end.
 */
export class LruCache {
  readonly #sizes = new Map<string, number>();
  #used = 0;

  constructor(readonly budget: number) {}

  /** A read: true on a hit. A miss (or a size change) stores the object if it can fit at all. */
  read(id: string, bytes: number): boolean {
    const held = this.#sizes.get(id);
    if (held !== undefined) this.#drop(id);
    if (bytes <= this.budget) {
      for (const old of this.#sizes.keys()) {
        if (this.#used + bytes <= this.budget) break;
        this.#drop(old);
      }
      this.#sizes.set(id, bytes);
      this.#used += bytes;
    }
    return held !== undefined;
  }

  #drop(id: string): void {
    this.#used -= this.#sizes.get(id) ?? 0;
    this.#sizes.delete(id);
  }
}

/**
 * Pinned entries of a `ValueCache` (the placement job's `cache-pin` arm): the entries of pinned
 * keys that no fill or prefetch may evict, as long as their bytes stay within the pin budget.
 *
 * Within the budget the most valuable pinned entries per byte are shielded, and the rest of the
 * pinned entries compete as any entry does. Not all-or-nothing: a pinned entry growing past the
 * budget costs the least valuable pins their shield, not every pin its own. The budget is capped
 * (`MAX_PIN_BUDGET_SHARE`) so the unshielded part of the cache always fits the largest entry a
 * read may fill; should it not (a smaller entry cap), a read that missed still gets its entry,
 * evicting pinned entries if it must (see `ValueCache`).
 */
export const MAX_PIN_BUDGET_SHARE = 0.75;

export interface PinGuardOptions {
  /** The cache's byte budget. */
  maxBytes: number;
  /** Bytes a key's entry holds in the cache (undefined: none cached). */
  bytesOf: (key: string) => number | undefined;
  /** What a key's entry is worth per byte now (the cache's eviction order). */
  valuePerByte: (key: string, now: number) => number;
}

export class PinGuard {
  #keys = new Set<string>();
  #share = 0;

  constructor(private readonly o: PinGuardOptions) {}

  /** Replaces the pinned keys and the share of the budget they may hold (0: nothing is shielded). */
  set(keys: Iterable<string>, budgetShare: number): void {
    this.#keys = new Set(keys);
    this.#share = Number.isFinite(budgetShare) ? Math.min(MAX_PIN_BUDGET_SHARE, Math.max(0, budgetShare)) : 0;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  get keys(): ReadonlySet<string> {
    return this.#keys;
  }

  get budgetBytes(): number {
    return Math.floor(this.#share * this.o.maxBytes);
  }

  /** The cached pinned entries no fill may evict now. */
  shielded(now: number): Set<string> {
    const out = new Set<string>();
    const budget = this.budgetBytes;
    if (budget <= 0 || this.#keys.size === 0) return out;
    const cached: Array<{ key: string; bytes: number; v: number }> = [];
    for (const key of this.#keys) {
      const bytes = this.o.bytesOf(key);
      if (bytes !== undefined) cached.push({ key, bytes, v: this.o.valuePerByte(key, now) });
    }
    cached.sort((a, b) => b.v - a.v || a.key.localeCompare(b.key));
    let used = 0;
    for (const c of cached) {
      if (used + c.bytes > budget) continue;
      used += c.bytes;
      out.add(c.key);
    }
    return out;
  }
}

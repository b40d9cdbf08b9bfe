import type { ProducerEvent } from "@shardcast/client";
import { createRng } from "@shardcast/core";

/**
 * The demo's second stream: a ledger of tenants' entries that no consumer group reads. Its only
 * reader is the demo reporter, which reads one tenant's shardlet a little after each of its
 * `report_requested` events, so what the reporter finds in an edge's cache is what the prefetcher
 * put there (on the main stream the groups keep every shardlet cached at its tail, and a prefetch
 * finds nothing left to fetch).
 */
export const DEMO_LEDGER_STREAM = "demo-ledger";
/** The tenant the reporter reports on; it writes ledger entries like the others. */
export const REPORT_TENANT = "tenant-reports";
/**
 * Two shards of one shardlet each: at the demo's ledger rate the shardlets stay below the split
 * threshold and have no sibling to merge with, so the shardlet the reporter reads keeps its id and
 * the correlation engine's map stays valid once learned.
 */
export const DEMO_LEDGER_LAYOUT = { shardCount: 2, shardletsPerShard: 1 } as const;

const TENANTS = [REPORT_TENANT, ...Array.from({ length: 11 }, (_, i) => `tenant-${i + 1}`)];
const KINDS = ["invoice_issued", "payment_received", "credit_note"] as const;

/** Ledger entries at `rate` events/s on average, for the producer's tick. */
export class DemoLedger {
  readonly #rng = createRng("demo-ledger");
  #owed = 0;
  #last: number;
  #serial = 0;

  constructor(
    private readonly rate: number,
    private readonly idPrefix: string,
    nowMs: number,
  ) {
    this.#last = nowMs;
  }

  due(nowMs: number): ProducerEvent[] {
    this.#owed += (Math.max(0, nowMs - this.#last) / 1000) * this.rate;
    this.#last = nowMs;
    const n = Math.floor(this.#owed);
    this.#owed -= n;
    return Array.from({ length: n }, () => {
      const kind = KINDS[this.#rng.int(KINDS.length)]!;
      return {
        key: TENANTS[this.#rng.int(TENANTS.length)]!,
        id: `${this.idPrefix}-ledger-${this.#serial++}`,
        type: kind,
        ts: nowMs,
        payload: { amount: Math.round(this.#rng.range(5, 500) * 100) / 100, currency: "EUR" },
      };
    });
  }
}

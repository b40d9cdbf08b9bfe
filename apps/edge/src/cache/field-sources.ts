import { fieldValue, PREDICTION_OUTCOMES_HALF_LIFE_STEPS, SourceScores, type SourceScore } from "@shardcast/core";
import { CORRELATION_STEP_MS, type PublishedPrefetchMap } from "@shardcast/runtime";

/** What the ack path sees of an event: its type and payload (parsed only when fields are configured). */
export interface WrittenEvent {
  type?: string | null | undefined;
  payload?: unknown;
  payloadJson?: string | undefined;
}

type Row = PublishedPrefetchMap["map"][string];

/** Prefetches not settled after this long are forgotten (their entry was replaced or never filled). */
const PENDING_TTL_MS = 10 * 60_000;

/**
 * The edge's side of correlation over payload fields: each written event's values of the fields
 * the map names (counted for the worker and looked up in the map's attribute rows), and each
 * source's score from whether its prefetched bytes were read here (core's `SourceScores`): a
 * field whose prefetches go unread is not acted on until its record has aged. The type rows
 * are scored too (for the snapshot), never cut: they are the product's behaviour without fields.
 */
export class FieldSources {
  readonly #scores = new SourceScores({ halfLifeMs: PREDICTION_OUTCOMES_HALF_LIFE_STEPS * CORRELATION_STEP_MS });
  /** `stream \t shardlet` -> the source whose announcement queued it, then the bytes fetched. */
  readonly #pending = new Map<string, { source: string; bytes: number; at: number }>();

  /** field -> value -> events of the batch with it. */
  static values(fields: readonly string[], events: readonly WrittenEvent[]): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    if (fields.length === 0) return out;
    for (const e of events) {
      const payload = e.payload !== undefined ? e.payload : parse(e.payloadJson);
      for (const field of fields) {
        const v = fieldValue(payload, field);
        if (v === null) continue;
        let byValue = out.get(field);
        if (!byValue) out.set(field, (byValue = new Map<string, number>()));
        byValue.set(v, (byValue.get(v) ?? 0) + 1);
      }
    }
    return out;
  }

  /** The map's rows for a batch's values, of the fields still earning their keep, keyed `\t<field>\t<value>`. */
  rows(m: PublishedPrefetchMap, values: ReadonlyMap<string, ReadonlyMap<string, number>>, now: number): Array<[key: string, row: Row]> {
    const out: Array<[string, Row]> = [];
    for (const [field, byValue] of values) {
      const rows = m.attrs[field];
      if (!rows || !this.#scores.allowed(`field:${field}`, now)) continue;
      for (const value of byValue.keys()) {
        const row = rows[value];
        if (row) out.push([`\t${field}\t${value}`, row]);
      }
    }
    return out;
  }

  /** A prefetch of `key` was queued for an announcement under `announceKey` (a type, or a field's value). */
  queued(key: string, announceKey: string, now: number): void {
    if (!this.#pending.has(key)) this.#pending.set(key, { source: announceKey.startsWith("\t") ? `field:${announceKey.slice(1, announceKey.indexOf("\t", 1))}` : "type", bytes: 0, at: now });
  }

  /** The prefetch of `key` filled `bytes` into the cache (0: it fetched nothing). */
  filled(key: string, bytes: number): void {
    const p = this.#pending.get(key);
    if (!p) return;
    if (bytes > 0) p.bytes += bytes;
    else if (p.bytes === 0) this.#pending.delete(key);
  }

  /** A read of `key` came while its prefetched entry was cached, or the entry left unread. */
  settle(key: string, read: boolean, now: number): void {
    const p = this.#pending.get(key);
    if (!p || p.bytes === 0) return;
    this.#pending.delete(key);
    this.#scores.settled(p.source, p.bytes, read, now);
  }

  expire(now: number): void {
    for (const [key, p] of this.#pending) if (now - p.at > PENDING_TTL_MS) this.#pending.delete(key);
  }

  scores(now: number): SourceScore[] {
    return this.#scores.list(now);
  }
}

function parse(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

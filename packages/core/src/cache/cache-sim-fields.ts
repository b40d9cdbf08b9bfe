import { AttributeCorrelations } from "./attribute-correlations.ts";
import type { CorrelationStep, PredictOptions, PrefetchTarget } from "./correlation-engine.ts";
import { SourceScores, type SourceScoresOptions } from "./source-scores.ts";

/** The source of an announcement keyed `\t<field>\t<value>` (a field's), or "type". */
export function sourceOf(key: string): string {
  return key.startsWith("\t") ? `field:${key.slice(1, key.indexOf("\t", 1))}` : "type";
}

/** The announcement key of a field's value: a tab leads it, which no event type holds. */
export const fieldKey = (field: string, value: string): string => `\t${field}\t${value}`;

/**
 * The cache simulation's payload fields, as the worker and the edges have them: attribute
 * correlations learnt online from the writes' field values, the rows an event's values announce,
 * and each source's score from whether its prefetched bytes were read (a field below the bar is
 * not acted on).
 */
export class SimSources {
  readonly #attrs: AttributeCorrelations | null;
  readonly #scores: SourceScores | null;
  #values = new Map<string, Map<string, number>>();
  readonly #rows = new Map<string, Record<string, PrefetchTarget>>();
  /** Prefetched entries not yet read: their source and bytes. */
  readonly #pending = new Map<string, { source: string; bytes: number }>();

  constructor(
    readonly fields: readonly string[],
    opts: { halfLifeMs: number; scores?: Omit<SourceScoresOptions, "halfLifeMs"> | null; topValues?: number | undefined },
  ) {
    this.#attrs = fields.length > 0 ? new AttributeCorrelations(fields, opts.topValues) : null;
    this.#scores = opts.scores === null ? null : new SourceScores({ halfLifeMs: opts.halfLifeMs, ...opts.scores });
  }

  /** The rows a write's field values announce, of the fields whose prefetches earn their keep. */
  written(attrs: Readonly<Record<string, string>> | undefined, predict: PredictOptions, now: number): Array<[key: string, row: Record<string, PrefetchTarget>]> {
    if (!this.#attrs || !attrs) return [];
    const out: Array<[string, Record<string, PrefetchTarget>]> = [];
    for (const field of this.fields) {
      const value = attrs[field];
      if (value === undefined) continue;
      let byValue = this.#values.get(field);
      if (!byValue) this.#values.set(field, (byValue = new Map<string, number>()));
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
      if (this.#scores && !this.#scores.allowed(`field:${field}`, now)) continue;
      const key = fieldKey(field, value);
      let row = this.#rows.get(key);
      if (!row) this.#rows.set(key, (row = this.#attrs.predict(field, value, predict)));
      if (Object.keys(row).length > 0) out.push([key, row]);
    }
    return out;
  }

  /** The step closed: its values and reads enter the attribute engines. */
  step(reads: CorrelationStep["reads"]): void {
    this.#attrs?.step({ values: this.#values, reads });
    this.#values = new Map();
    this.#rows.clear();
  }

  prefetched(shardletId: string, key: string, bytes: number): void {
    this.#pending.set(shardletId, { source: sourceOf(key), bytes });
  }

  /** The shardlet was read (`read`) or its entry left the cache: a pending prefetch settles. */
  settle(shardletId: string, read: boolean, now: number): void {
    const p = this.#pending.get(shardletId);
    if (!p) return;
    this.#pending.delete(shardletId);
    this.#scores?.settled(p.source, p.bytes, read, now);
  }

  scores(now: number): ReturnType<SourceScores["list"]> {
    return this.#scores?.list(now) ?? [];
  }
}

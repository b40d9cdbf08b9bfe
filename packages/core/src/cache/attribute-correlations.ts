import { z } from "zod";
import { ShardcastError } from "../errors.ts";
import { CorrelationEngine, type CorrelationStep, type PredictOptions, type PrefetchTarget } from "./correlation-engine.ts";
import { SpaceSaving } from "../telemetry/space-saving.ts";

/**
 * Correlation over payload attributes: for each configured field, which of its values' events
 * are followed by reads of which shardlets (user U's events by reads of U's data, region R's
 * burst by R's reads). Each field has its own `CorrelationEngine` whose "types" are the field's
 * values, so the estimates, the evidence test, the lift over the base rate and the lags are the
 * type engine's, and its own sketch of the field's most frequent values: only the `topValues`
 * heaviest are fed to the engine, so memory and the persisted state stay bounded whatever the
 * field's cardinality (a field of a million users costs what one of `topValues` does).
 */
export const TOP_VALUES_PER_FIELD = 64;
/**
 * Shardlets learnt per value: a user's or a region's data lies in a few, the rest of a row is
 * chance, but a row fills with whatever is read after the value's first events and takes a newcomer
 * only after a prune, so it needs room for the value's own shardlets to get in.
 */
const PAIRS_PER_VALUE = 48;
/** Counters of the sketch per kept value: room for values on their way up to the top. */
const SKETCH_PER_VALUE = 4;
/** The sketch forgets at the engine's long half-life (720 steps), so the values it keeps are those the engine learns. */
const SKETCH_DECAY = 2 ** (-1 / 720);

export interface AttributeStep {
  /** field -> value -> events written with it in this step. */
  values: ReadonlyMap<string, ReadonlyMap<string, number>>;
  reads: CorrelationStep["reads"];
}

/** {field: {value: {shardletId: PrefetchTarget}}} */
export type AttributeMap = Record<string, Record<string, Record<string, PrefetchTarget>>>;

const dataSchema = z.object({
  v: z.literal(1),
  topValues: z.number().int().min(1).max(10_000),
  fields: z.array(z.object({ field: z.string().min(1), sketch: z.unknown(), engine: z.unknown() })),
});
export type AttributeCorrelationsData = z.infer<typeof dataSchema>;

interface FieldModel {
  /** The field's most frequent values (Space-Saving, decayed every step so a user who went quiet gives way). */
  sketch: SpaceSaving;
  engine: CorrelationEngine;
}

export class AttributeCorrelations {
  readonly #fields = new Map<string, FieldModel>();

  constructor(
    fields: readonly string[],
    readonly topValues: number = TOP_VALUES_PER_FIELD,
  ) {
    this.configure(fields);
  }

  /** Follows a settings change: a field no longer listed is forgotten, a new one starts learning. */
  configure(fields: readonly string[]): void {
    for (const f of [...this.#fields.keys()]) if (!fields.includes(f)) this.#fields.delete(f);
    for (const f of fields) if (!this.#fields.has(f)) this.#fields.set(f, this.#fresh());
  }

  get fields(): string[] {
    return [...this.#fields.keys()];
  }

  #fresh(): FieldModel {
    // Twice the kept values in slots: a value that slips out of the top for a while keeps what it learnt.
    return { sketch: new SpaceSaving(this.topValues * SKETCH_PER_VALUE), engine: new CorrelationEngine({ maxTypes: this.topValues * 2, typeMatrix: false, pairsPerType: PAIRS_PER_VALUE }) };
  }

  step(obs: AttributeStep): void {
    for (const [field, m] of this.#fields) {
      const counts = obs.values.get(field);
      m.sketch.scale(SKETCH_DECAY);
      const types = new Map<string, number>();
      if (counts) {
        for (const [v, n] of counts) if (n > 0) m.sketch.add(v, n);
        const top = new Set(m.sketch.top(this.topValues).map((e) => e.item));
        for (const [v, n] of counts) if (n > 0 && top.has(v)) types.set(v, n);
      }
      m.engine.step({ types, reads: obs.reads });
    }
  }

  /** The shardlets an event whose `field` is `value` announces (as `CorrelationEngine.predict`). */
  predict(field: string, value: string, opts: PredictOptions = {}): Record<string, PrefetchTarget> {
    return this.#fields.get(field)?.engine.predict(value, opts) ?? {};
  }

  /** Every field's rows: `{field: {value: {shardletId: PrefetchTarget}}}` (values with no entry left out). */
  attributeMap(opts: PredictOptions = {}): AttributeMap {
    const out: AttributeMap = {};
    for (const [field, m] of this.#fields) out[field] = m.engine.probabilityMap(opts);
    return out;
  }

  /** Values kept in the field's sketch (at most `topValues` x 4), for tests and the console. */
  sketchSize(field: string): number {
    return this.#fields.get(field)?.sketch.size ?? 0;
  }

  toData(): AttributeCorrelationsData {
    return { v: 1, topValues: this.topValues, fields: [...this.#fields].map(([field, m]) => ({ field, sketch: m.sketch.toData(), engine: m.engine.toData() })) };
  }

  /** The state `toData` wrote. Throws `bad_request` on anything else (the caller may start afresh). */
  static fromData(d: unknown): AttributeCorrelations {
    const parsed = dataSchema.safeParse(d);
    if (!parsed.success) throw new ShardcastError("bad_request", `attribute correlation state: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const out = new AttributeCorrelations([], parsed.data.topValues);
    for (const f of parsed.data.fields) out.#fields.set(f.field, { sketch: SpaceSaving.fromData(f.sketch, parsed.data.topValues * SKETCH_PER_VALUE), engine: CorrelationEngine.fromData(f.engine) });
    return out;
  }
}

import { createRng, ShardcastError, type BatchForecaster, type CovariateColumn, type ForecastInput } from "@shardcast/core";
import { initBackend, tf, type TfBackend } from "./backend.ts";
import { buildWindow, CTX_BASE_FEATURES, SEQ_BASE_FEATURES, windowForInput, type FeatureConfig, type Window } from "./features.ts";

export interface LstmConfig {
  /** Past steps the recurrent layer reads. */
  lookback: number;
  /** Steps forecast in one pass; longer horizons are forecast pass after pass. */
  horizon: number;
  /** Season length the model was trained with (features use each input's own period). */
  period: number;
  units: number;
  /** Width of the per-step dense layer after the recurrent encoding. */
  hidden: number;
  profileSeasons: number;
  covariates: number;
  /**
   * The covariates the model was trained with, one per column in input order (what a caller must
   * pass in `ForecastInput.covariates`). Empty for a model without covariates, and for one saved
   * before columns were named (its `covariates` columns are then read as given).
   */
  covariateColumns: CovariateColumn[];
  scaling: FeatureConfig["scaling"];
  seed: number;
  learningRate: number;
  batchSize: number;
}

export const DEFAULT_LSTM_CONFIG: LstmConfig = {
  lookback: 24,
  horizon: 48,
  period: 24,
  units: 24,
  hidden: 16,
  profileSeasons: 7,
  covariates: 0,
  covariateColumns: [],
  scaling: "level",
  seed: 42,
  learningRate: 0.003,
  batchSize: 64,
};

/** A series to learn from: evenly spaced values, oldest first. */
export interface TrainingSeries {
  name: string;
  values: readonly number[];
  startMs?: number;
  stepMs?: number;
  /** Defaults to the model's period. */
  period?: number;
  covariates?: ReadonlyArray<readonly number[]>;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Mean absolute error of the epoch on the scaled targets. */
  loss: number;
  /** The same on the validation windows, when there are any. */
  valLoss?: number;
}

export interface TrainOptions {
  epochs: number;
  /** Most training windows (origins are thinned evenly beyond this; default 6,000). */
  maxWindows?: number;
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Checked between epochs. */
  signal?: AbortSignal;
  /**
   * Keep the last this many steps of every series for validation: the model trains on what
   * comes before, is scored on forecasts into that tail after every epoch, and ends with the
   * weights of its best epoch (early stopping). 0 (default) trains on everything for `epochs`.
   */
  validationSteps?: number;
  /**
   * With validation: once the best epoch count is known, train a fresh network (same seed) on
   * every window, the validation tail included, for that many epochs. The most recent stretch
   * then shapes the model too; the price is a second, shorter training.
   */
  refit?: boolean;
  /** With validation: stop after this many epochs without a better validation error (default: run every epoch). */
  patience?: number;
}

export interface TrainResult {
  windows: number;
  validationWindows: number;
  losses: number[];
  valLosses: number[];
  /** Epoch whose weights the model kept (the last one without validation), or the refit's length. */
  bestEpoch: number;
  /** Whether the final network was retrained on every window (see `refit`). */
  refitted: boolean;
  durationMs: number;
}

export const LSTM_ARTIFACT_FORMAT = "shardcast-lstm/1";

/** What `serialize()` returns: JSON that `LstmForecaster.load` restores exactly. */
export interface LstmArtifact {
  format: typeof LSTM_ARTIFACT_FORMAT;
  config: LstmConfig;
  /** The Keras-style model topology (JSON). */
  topology: unknown;
  weightSpecs: Array<{ name: string; shape: number[]; dtype: string }>;
  /** All weights, little-endian float32, base64. */
  weights: string;
}

function featureConfig(c: LstmConfig): FeatureConfig {
  return {
    lookback: c.lookback,
    horizon: c.horizon,
    profileSeasons: c.profileSeasons,
    covariates: c.covariates,
    scaling: c.scaling,
    ...(c.covariateColumns.length > 0 ? { columns: c.covariateColumns } : {}),
  };
}

/**
 * A config with its covariate columns: `covariates` follows them when only they are given, and
 * must agree with them otherwise.
 */
function withColumns(c: LstmConfig, given: Partial<LstmConfig>): LstmConfig {
  const cols = c.covariateColumns;
  if (cols.length > 0 && given.covariates === undefined) return { ...c, covariates: cols.length };
  return c;
}

function isColumn(v: unknown): v is CovariateColumn {
  return isRecord(v) && typeof v.name === "string" && v.name.length > 0 && typeof v.known === "boolean" && (v.unit === "load" || v.unit === "ratio" || v.unit === "count");
}

function checkColumns(c: LstmConfig): void {
  const cols: unknown = c.covariateColumns;
  if (!Array.isArray(cols)) throw new ShardcastError("bad_request", "LSTM covariateColumns must be a list");
  const seen = new Set<string>();
  for (const col of cols as unknown[]) {
    if (!isColumn(col)) throw new ShardcastError("bad_request", "LSTM covariate column needs a name, known (true or false) and a unit (load, ratio or count)");
    if (seen.has(col.name)) throw new ShardcastError("bad_request", `LSTM covariate column ${col.name} appears twice`);
    seen.add(col.name);
  }
  if (cols.length > 0 && cols.length !== c.covariates) {
    throw new ShardcastError("bad_request", `LSTM has ${c.covariates} covariate columns but names ${cols.length}`);
  }
}

/**
 * Covariates of a series or a forecast request against the model's columns: a model with
 * covariates needs every one of them at every step it reads; a model without ignores any given.
 */
function checkCovariates(c: LstmConfig, what: string, rows: ReadonlyArray<readonly number[]> | undefined, steps: number): void {
  if (c.covariates === 0) return;
  const names = c.covariateColumns.length > 0 ? ` (${c.covariateColumns.map((k) => k.name).join(", ")})` : "";
  if (!rows) throw new ShardcastError("bad_request", `${what} has no covariates; the model was trained with ${c.covariates}${names}`);
  if (rows.length < steps) throw new ShardcastError("bad_request", `${what} has covariates for ${rows.length} steps; it needs ${steps}`);
  for (let i = 0; i < steps; i++) {
    if (rows[i]!.length !== c.covariates) {
      throw new ShardcastError("bad_request", `${what} has ${rows[i]!.length} covariate columns at step ${i}; the model was trained with ${c.covariates}${names}`);
    }
  }
}

function checkConfig(c: LstmConfig): void {
  const ints = ["lookback", "horizon", "period", "units", "hidden", "profileSeasons", "batchSize"] as const;
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 100_000) throw new ShardcastError("bad_request", `LSTM ${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(c.covariates) || c.covariates < 0 || c.covariates > 64) throw new ShardcastError("bad_request", `LSTM covariates must be 0..64, got ${c.covariates}`);
  checkColumns(c);
  if (!(c.learningRate > 0 && c.learningRate < 1)) throw new ShardcastError("bad_request", `LSTM learningRate must be in (0, 1), got ${c.learningRate}`);
  if (c.scaling !== "level" && c.scaling !== "seasonal_mae") throw new ShardcastError("bad_request", `LSTM scaling must be level or seasonal_mae, got ${String(c.scaling)}`);
  if (!Number.isInteger(c.seed)) throw new ShardcastError("bad_request", `LSTM seed must be an integer, got ${c.seed}`);
}

/** Seeded initialisers so that one config and one corpus always give the same weights. */
function buildModel(c: LstmConfig): tf.LayersModel {
  const seqIn = tf.input({ shape: [c.lookback, SEQ_BASE_FEATURES + c.covariates], name: "sequence" });
  const ctxIn = tf.input({ shape: [c.horizon, CTX_BASE_FEATURES + c.covariates], name: "context" });
  const baseIn = tf.input({ shape: [c.horizon, 1], name: "baseline" });
  const encoded = tf.layers
    .lstm({
      units: c.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed }),
      // Orthogonal (the default) is slow to draw and its seed is not honoured everywhere.
      recurrentInitializer: tf.initializers.glorotUniform({ seed: c.seed + 1 }),
      name: "encoder",
    })
    .apply(seqIn) as tf.SymbolicTensor;
  const repeated = tf.layers.repeatVector({ n: c.horizon, name: "repeat" }).apply(encoded) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: "join" }).apply([repeated, ctxIn]) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({ units: c.hidden, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 2 }), name: "step_hidden" })
    .apply(joined) as tf.SymbolicTensor;
  // Starts at zero: the untrained model forecasts the seasonal profile baseline exactly.
  const correction = tf.layers.dense({ units: 1, kernelInitializer: "zeros", name: "correction" }).apply(hidden) as tf.SymbolicTensor;
  const out = tf.layers.add({ name: "forecast" }).apply([correction, baseIn]) as tf.SymbolicTensor;
  return tf.model({ inputs: [seqIn, ctxIn, baseIn], outputs: out, name: "shardcast_lstm" });
}

function compile(model: tf.LayersModel, c: LstmConfig): void {
  model.compile({ optimizer: tf.train.adam(c.learningRate), loss: "meanAbsoluteError" });
}

interface Batch {
  seq: Float32Array;
  ctx: Float32Array;
  base: Float32Array;
  count: number;
}

function pack(windows: readonly Window[], c: LstmConfig, horizon: number): Batch {
  const seqSize = c.lookback * (SEQ_BASE_FEATURES + c.covariates);
  const ctxSize = horizon * (CTX_BASE_FEATURES + c.covariates);
  const seq = new Float32Array(windows.length * seqSize);
  const ctx = new Float32Array(windows.length * ctxSize);
  const base = new Float32Array(windows.length * horizon);
  windows.forEach((w, i) => {
    seq.set(w.seq, i * seqSize);
    ctx.set(w.ctx, i * ctxSize);
    base.set(w.base, i * horizon);
  });
  return { seq, ctx, base, count: windows.length };
}

function inputTensors(b: Batch, c: LstmConfig): tf.Tensor[] {
  return [
    tf.tensor3d(b.seq, [b.count, c.lookback, SEQ_BASE_FEATURES + c.covariates]),
    tf.tensor3d(b.ctx, [b.count, c.horizon, CTX_BASE_FEATURES + c.covariates]),
    tf.tensor3d(b.base, [b.count, c.horizon, 1]),
  ];
}

function toBase64(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString("base64");
}

function fromBase64(text: string): ArrayBuffer {
  const b = Buffer.from(text, "base64");
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks the shape of a stored artifact before TensorFlow.js sees it. */
export function parseLstmArtifact(raw: unknown): LstmArtifact {
  if (!isRecord(raw) || raw.format !== LSTM_ARTIFACT_FORMAT) throw new ShardcastError("bad_request", `not an LSTM artifact (expected format ${LSTM_ARTIFACT_FORMAT})`);
  if (!isRecord(raw.config) || !isRecord(raw.topology) || !Array.isArray(raw.weightSpecs) || typeof raw.weights !== "string") {
    throw new ShardcastError("bad_request", "LSTM artifact is missing its config, topology, weight specs or weights");
  }
  // Fields added since a model was saved take their defaults (no covariate columns named).
  const config = { ...DEFAULT_LSTM_CONFIG, ...(raw.config as Partial<LstmConfig>) };
  checkConfig(config);
  for (const s of raw.weightSpecs) {
    if (!isRecord(s) || typeof s.name !== "string" || !Array.isArray(s.shape) || typeof s.dtype !== "string") {
      throw new ShardcastError("bad_request", "LSTM artifact has a malformed weight spec");
    }
  }
  return { format: LSTM_ARTIFACT_FORMAT, config, topology: raw.topology, weightSpecs: raw.weightSpecs as LstmArtifact["weightSpecs"], weights: raw.weights };
}

/**
 * A sequence-to-horizon LSTM trained across many series at once. Each window is scaled by its
 * own recent level, so the model learns shapes (daily and weekly rhythm, recent drift) shared by
 * series of very different sizes. See features.ts for the inputs.
 */
export class LstmForecaster implements BatchForecaster {
  readonly kind = "lstm" as const;
  readonly config: LstmConfig;
  readonly backend: TfBackend;
  private model: tf.LayersModel;

  private constructor(config: LstmConfig, model: tf.LayersModel, backend: TfBackend) {
    this.config = config;
    this.model = model;
    this.backend = backend;
  }

  /** An untrained model (it forecasts the seasonal profile baseline until trained). */
  static async create(config: Partial<LstmConfig> = {}, opts: { backend?: TfBackend } = {}): Promise<LstmForecaster> {
    const c = withColumns({ ...DEFAULT_LSTM_CONFIG, ...config }, config);
    checkConfig(c);
    const backend = await initBackend(opts.backend);
    const model = buildModel(c);
    compile(model, c);
    return new LstmForecaster(c, model, backend);
  }

  /** Restores a model from `serialize()` output; its forecasts equal the saved model's. */
  static async load(raw: unknown, opts: { backend?: TfBackend } = {}): Promise<LstmForecaster> {
    const a = parseLstmArtifact(raw);
    const backend = await initBackend(opts.backend);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: a.topology as tf.io.ModelArtifacts["modelTopology"],
          weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
          weightData: fromBase64(a.weights),
        }),
      );
    } catch (err) {
      throw new ShardcastError("bad_request", `LSTM artifact does not load: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    }
    compile(model, a.config);
    return new LstmForecaster(a.config, model, backend);
  }

  /**
   * Windows of every series whose origin lies in [from(s), to(s)] and whose horizon fits: every
   * origin with a season behind it, thinned evenly to at most `maxWindows`.
   */
  private windows(
    series: readonly TrainingSeries[],
    maxWindows: number,
    range: (s: TrainingSeries) => { from: number; to: number },
  ): { inputs: Window[]; targets: Float32Array } {
    const c = this.config;
    const fc = featureConfig(c);
    const origins: Array<{ s: TrainingSeries; origin: number }> = [];
    for (const s of series) {
      const period = s.period ?? c.period;
      const r = range(s);
      for (let origin = Math.max(period, 2, r.from); origin <= r.to && origin + c.horizon <= s.values.length; origin++) origins.push({ s, origin });
    }
    const stride = Math.max(1, Math.ceil(origins.length / maxWindows));
    const picked = origins.filter((_, i) => i % stride === 0);
    const inputs: Window[] = [];
    const targets = new Float32Array(picked.length * c.horizon);
    picked.forEach(({ s, origin }, i) => {
      const w = buildWindow(s.values, origin, fc, s.period ?? c.period, s.startMs, s.stepMs, s.covariates);
      inputs.push(w);
      for (let h = 0; h < c.horizon; h++) targets[i * c.horizon + h] = (s.values[origin + h]! - w.offset) / w.scale;
    });
    return { inputs, targets };
  }

  async train(series: readonly TrainingSeries[], opts: TrainOptions): Promise<TrainResult> {
    const started = performance.now();
    const c = this.config;
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new ShardcastError("bad_request", `epochs must be a positive integer, got ${opts.epochs}`);
    const v = Math.max(0, Math.floor(opts.validationSteps ?? 0));
    const maxWindows = opts.maxWindows ?? 6_000;
    for (const s of series) checkCovariates(c, `series ${s.name}`, s.covariates, s.values.length);
    // Training targets end where the validation tail starts; validation origins lie in the tail.
    const train = this.windows(series, maxWindows, (s) => ({ from: 0, to: s.values.length - v - c.horizon }));
    if (train.inputs.length === 0) {
      throw new ShardcastError("bad_request", `no series is long enough to train on: each needs at least ${Math.max(c.period, 2) + c.horizon + v} points`);
    }
    const val = v > 0 ? this.windows(series, 2_000, (s) => ({ from: s.values.length - v, to: s.values.length - c.horizon })) : null;
    const valBatch = val && val.inputs.length > 0 ? pack(val.inputs, c, c.horizon) : null;
    const valXs = valBatch ? inputTensors(valBatch, c) : [];
    const valY = valBatch && val ? tf.tensor3d(val.targets, [valBatch.count, c.horizon, 1]) : null;
    const losses: number[] = [];
    const valLosses: number[] = [];
    const refit = opts.refit === true && valY !== null;
    const total = (bestEpoch: number) => opts.epochs + (refit ? bestEpoch : 0);
    // A holder, not a `let`: it is assigned inside the epoch callback.
    const kept: { best: { epoch: number; loss: number; weights: tf.Tensor[] } | null } = { best: null };
    try {
      await this.runEpochs(train, opts.epochs, opts.signal, async (epoch, loss) => {
        losses.push(loss);
        let valLoss: number | undefined;
        if (valY) {
          valLoss = await this.meanAbsError(valXs, valY);
          valLosses.push(valLoss);
          if (!kept.best || valLoss < kept.best.loss) {
            if (kept.best) tf.dispose(kept.best.weights);
            kept.best = { epoch, loss: valLoss, weights: this.model.getWeights().map((w) => w.clone()) };
          }
        }
        // While validating, the refit's length is not known yet: count it as long as this phase.
        await opts.onProgress?.({ epoch, epochs: refit ? 2 * opts.epochs : opts.epochs, loss, ...(valLoss !== undefined ? { valLoss } : {}) });
        return opts.patience !== undefined && kept.best !== null && epoch - kept.best.epoch >= opts.patience;
      });
      if (kept.best) this.model.setWeights(kept.best.weights);
    } finally {
      tf.dispose([...valXs, ...(valY ? [valY] : []), ...(kept.best ? kept.best.weights : [])]);
    }
    const bestEpoch = kept.best?.epoch ?? opts.epochs;
    let windows = train.inputs.length;
    if (refit) {
      // The epoch count is chosen; train afresh (same seed) on everything, the tail included.
      const all = this.windows(series, maxWindows, (s) => ({ from: 0, to: s.values.length - c.horizon }));
      this.model.dispose();
      this.model = buildModel(c);
      compile(this.model, c);
      windows = all.inputs.length;
      await this.runEpochs(all, bestEpoch, opts.signal, async (epoch, loss) => {
        losses.push(loss);
        await opts.onProgress?.({ epoch: opts.epochs + epoch, epochs: total(bestEpoch), loss });
      });
    }
    return { windows, validationWindows: valBatch?.count ?? 0, losses, valLosses, bestEpoch, refitted: refit, durationMs: performance.now() - started };
  }

  /** `epochs` passes over the windows in a seeded order per epoch (fit's own shuffle uses Math.random). */
  private async runEpochs(
    data: { inputs: Window[]; targets: Float32Array },
    epochs: number,
    signal: AbortSignal | undefined,
    afterEpoch: (epoch: number, loss: number) => Promise<boolean | void>,
  ): Promise<void> {
    const c = this.config;
    const batch = pack(data.inputs, c, c.horizon);
    const xs = inputTensors(batch, c);
    const y = tf.tensor3d(data.targets, [batch.count, c.horizon, 1]);
    const rng = createRng(c.seed);
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        if (signal?.aborted) throw new ShardcastError("unavailable", "training was cancelled");
        const order = Array.from({ length: batch.count }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const idx = tf.tensor1d(order, "int32");
        const shuffled = xs.map((t) => tf.gather(t, idx));
        const ys = tf.gather(y, idx);
        try {
          const h = await this.model.fit(shuffled, ys, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0 });
          const stop = await afterEpoch(epoch, Number(h.history.loss?.[0] ?? NaN));
          if (stop === true) break;
        } finally {
          tf.dispose([idx, ys, ...shuffled]);
        }
      }
    } finally {
      tf.dispose([...xs, y]);
    }
  }

  private async meanAbsError(xs: tf.Tensor[], y: tf.Tensor): Promise<number> {
    const pred = this.model.predict(xs) as tf.Tensor;
    const err = tf.tidy(() => tf.mean(tf.abs(tf.sub(pred, y))));
    try {
      return (await err.data())[0]!;
    } finally {
      tf.dispose([pred, err]);
    }
  }

  /** One pass of `config.horizon` steps for every input. */
  private async pass(inputs: readonly ForecastInput[]): Promise<number[][]> {
    const c = this.config;
    const fc = featureConfig(c);
    const windows = inputs.map((input) => windowForInput(input, fc));
    const xs = inputTensors(pack(windows, c, c.horizon), c);
    const out = this.model.predict(xs) as tf.Tensor;
    try {
      const flat = await out.data();
      return windows.map((w, i) => {
        const row = new Array<number>(c.horizon);
        for (let h = 0; h < c.horizon; h++) {
          const v = flat[i * c.horizon + h]! * w.scale + w.offset;
          row[h] = v > 0 && Number.isFinite(v) ? v : 0;
        }
        return row;
      });
    } finally {
      tf.dispose([...xs, out]);
    }
  }

  async forecastMany(inputs: readonly ForecastInput[]): Promise<number[][]> {
    if (inputs.length === 0) return [];
    for (const i of inputs) {
      if (!Number.isInteger(i.horizon) || i.horizon < 0) throw new ShardcastError("bad_request", `forecast horizon must be a non-negative integer, got ${i.horizon}`);
      if (!Number.isInteger(i.period) || i.period < 1) throw new ShardcastError("bad_request", `forecast period must be a positive integer, got ${i.period}`);
      checkCovariates(this.config, "a forecast request", i.covariates, i.history.length + i.horizon);
    }
    const results = inputs.map(() => [] as number[]);
    // Horizons past one pass roll forward: each pass appends its forecast to the history.
    let pending = inputs.map((input, i) => ({ i, input }));
    while (pending.length > 0) {
      const rows = await this.pass(pending.map((p) => p.input));
      const next: typeof pending = [];
      pending.forEach((p, k) => {
        const need = p.input.horizon - results[p.i]!.length;
        const got = rows[k]!.slice(0, need);
        results[p.i]!.push(...got);
        if (results[p.i]!.length < p.input.horizon) {
          next.push({ i: p.i, input: { ...p.input, history: [...p.input.history, ...got], horizon: p.input.horizon } });
        }
      });
      pending = next;
    }
    return results;
  }

  async serialize(): Promise<LstmArtifact> {
    let saved: tf.io.ModelArtifacts | null = null;
    await this.model.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } });
      }),
    );
    const a = saved as tf.io.ModelArtifacts | null;
    if (!a?.modelTopology || !a.weightSpecs || !a.weightData) throw new ShardcastError("internal", "TensorFlow.js returned no weights to serialize");
    const data = Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData;
    return {
      format: LSTM_ARTIFACT_FORMAT,
      config: { ...this.config, covariateColumns: this.config.covariateColumns.map((k) => ({ ...k })) },
      topology: a.modelTopology,
      weightSpecs: a.weightSpecs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
      weights: toBase64(data),
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}

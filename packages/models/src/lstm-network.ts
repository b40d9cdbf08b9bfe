import { tf } from "./backend.ts";
import { CTX_BASE_FEATURES, SEQ_BASE_FEATURES, type Window } from "./features.ts";
import type { LstmConfig } from "./lstm-config.ts";

/** Seeded initialisers so that one config and one corpus always give the same weights. */
export function buildModel(c: LstmConfig): tf.LayersModel {
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

export function compile(model: tf.LayersModel, c: LstmConfig): void {
  model.compile({ optimizer: tf.train.adam(c.learningRate), loss: "meanAbsoluteError" });
}

export interface Batch {
  seq: Float32Array;
  ctx: Float32Array;
  base: Float32Array;
  count: number;
}

export function pack(windows: readonly Window[], c: LstmConfig, horizon: number): Batch {
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

export function inputTensors(b: Batch, c: LstmConfig): tf.Tensor[] {
  return [
    tf.tensor3d(b.seq, [b.count, c.lookback, SEQ_BASE_FEATURES + c.covariates]),
    tf.tensor3d(b.ctx, [b.count, c.horizon, CTX_BASE_FEATURES + c.covariates]),
    tf.tensor3d(b.base, [b.count, c.horizon, 1]),
  ];
}

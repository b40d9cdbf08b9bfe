import { ShardcastError } from "@shardcast/core";
import { checkConfig, DEFAULT_LSTM_CONFIG, isRecord, type LstmConfig } from "./lstm-config.ts";

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

export function toBase64(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString("base64");
}

export function fromBase64(text: string): ArrayBuffer {
  const b = Buffer.from(text, "base64");
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
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

export * from "./backend.ts";
export * from "./features.ts";
export { DEFAULT_LSTM_CONFIG, type LstmConfig } from "./lstm-config.ts";
export { LSTM_ARTIFACT_FORMAT, parseLstmArtifact, type LstmArtifact } from "./lstm-artifact.ts";
export * from "./lstm-training-types.ts";
export * from "./lstm.ts";

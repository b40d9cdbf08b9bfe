import { generatePrecursorStream, keyHash, trainContentModel, type ContentModelConfig, type ContentModelState, type PrecursorStream, type PrecursorStreamConfig } from "@shardcast/core";
import { HASH_SPACE } from "./cluster.ts";
import { DEFAULT_PREALLOC_SIM } from "./sim-config.ts";

/**
 * A default model for cold start: the content model after replaying a stream of history (the
 * range ids are the ones the simulator gives the model).
 */
export function trainSimContentModel(history: PrecursorStream, shardlets = DEFAULT_PREALLOC_SIM.shardlets, cfg: Partial<ContentModelConfig> = {}): ContentModelState {
  return trainContentModel(history.events, (key) => `r${Math.floor((keyHash(key) * shardlets) / HASH_SPACE)}`, cfg);
}

/** The workload the `prealloc` benchmark and the simulator's comparison use: announced bursts, false alarms, unannounced bursts. */
export function preallocWorkload(seed: number, partial: Partial<PrecursorStreamConfig> = {}): PrecursorStream {
  return generatePrecursorStream({ seed, ...partial });
}

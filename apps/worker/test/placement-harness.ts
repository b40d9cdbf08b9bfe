import { PLACEMENT_SETTINGS_KEY } from "@shardcast/core";
import { updateSetting } from "@shardcast/db";
import { afterAll, beforeAll } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { startLifecycleHarness, type HarnessOptions, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * A lifecycle harness (one host, one shard of two shardlets unless told otherwise) whose placement
 * archives anything a minute old, however small, and explores half the time: the placement tests
 * then see a decision on every shardlet at the first run.
 */
export async function startPlacementHarness(opts: HarnessOptions = {}): Promise<LifecycleHarness> {
  const h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 2, ...opts });
  try {
    await updateSetting(h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 60, minArchiveBytes: 1, leaveReward: 0.2, exploration: 0.5 }, null);
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

/** A placement harness started before the file's tests and closed after them; call the result inside a test. */
export function usePlacementHarness(opts: HarnessOptions = {}): () => LifecycleHarness {
  let h: LifecycleHarness | undefined;
  beforeAll(async () => {
    h = await startPlacementHarness(opts);
  });
  afterAll(async () => {
    await h?.close();
  });
  return () => {
    if (!h) throw new Error("the placement harness did not start");
    return h;
  };
}

/** The run's dependencies two minutes on: every event produced so far is past the archive age. */
export function twoMinutesOn(h: LifecycleHarness, over: Partial<WorkerDeps> = {}): WorkerDeps {
  return { ...h.deps, ...over, clock: () => Date.now() + 120_000 };
}

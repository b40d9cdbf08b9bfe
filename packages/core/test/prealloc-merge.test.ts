import { describe, expect, it } from "vitest";
import { DEFAULT_COST_PARAMS, measuredCostParams, mergePublishedPredictions, type PublishedPredictions, type SurgePrediction } from "../src/index.ts";

const quality = { alerts: 0, hits: 0, onsets: 0, predicted: 0, precision: null, recall: null, medianLeadSec: null };

function prediction(shardletId: string, p: Partial<SurgePrediction> = {}): SurgePrediction {
  return { shardletId, probability: 0.5, expectedEvents: 100, expectedPeakPerStep: 50, atMs: 1_000, horizonEndsMs: 121_000, cause: "x", keyHashes: [1], currentPerStep: 2, usualPerStep: 4, ...p };
}

function body(edge: string, predictions: SurgePrediction[], extra: Partial<PublishedPredictions> = {}): PublishedPredictions {
  return { streamId: "s", atMs: 1_000, edge, modelVersion: 10, quality, predictions, ...extra };
}

describe("merging the edges' predictions", () => {
  it("keeps every edge's shardlets, adds the rates of a shardlet several edges see and takes the strongest evidence", () => {
    const merged = mergePublishedPredictions(
      [
        body("a", [prediction("s1", { probability: 0.9, cause: "campaign", keyHashes: [1, 2] }), prediction("s2")], { stepMs: 5_000 }),
        body("b", [prediction("s1", { probability: 0.3, cause: "other", keyHashes: [2, 3], horizonEndsMs: 200_000 }), prediction("s3")], { modelVersion: 20 }),
      ],
      5_000,
    )!;
    expect(merged.predictions.map((p) => p.shardletId).sort()).toEqual(["s1", "s2", "s3"]);
    expect(merged.predictions.find((p) => p.shardletId === "s1")).toMatchObject({
      probability: 0.9,
      cause: "campaign",
      keyHashes: [1, 2, 3],
      expectedEvents: 200,
      expectedPeakPerStep: 100,
      currentPerStep: 4,
      usualPerStep: 8,
      horizonEndsMs: 200_000,
    });
    expect(merged.modelVersion).toBe(20);
    expect(merged.edge).toBe("a,b");
  });

  it("counts per-step figures in the pre-allocator's step, whatever step an edge counted in", () => {
    const ten = body("a", [prediction("s1", { expectedPeakPerStep: 200, usualPerStep: 10, currentPerStep: 20 })], { stepMs: 10_000 });
    expect(mergePublishedPredictions([ten], 10_000)!.predictions[0]).toMatchObject({ expectedPeakPerStep: 200, usualPerStep: 10, currentPerStep: 20 });
    expect(mergePublishedPredictions([ten], 5_000)!.predictions[0]).toMatchObject({ expectedPeakPerStep: 100, usualPerStep: 5, currentPerStep: 10 });
    expect(mergePublishedPredictions([], 5_000)).toBeNull();
  });
});

describe("the cost model's measured figures", () => {
  it("takes the measured copy speed and the median split lock, and the defaults where nothing was measured", () => {
    expect(measuredCostParams(2 * 1024 * 1024, [9_000, 11_000, 10_000])).toEqual({ copyBytesPerSec: 2 * 1024 * 1024, splitLockSec: 10 });
    expect(measuredCostParams(null, [9_000])).toEqual({ copyBytesPerSec: DEFAULT_COST_PARAMS.copyBytesPerSec, splitLockSec: DEFAULT_COST_PARAMS.splitLockSec });
  });
});

import { describe, expect, it } from "vitest";
import { bornMs, withLineage } from "../src/analyzer/inputs.ts";

describe("analyzer history through lineage", () => {
  const own = new Map<string, number[]>([
    ["parent", [100, 100, 100, 0, 0]],
    ["left", [0, 0, 0, 60, 70]],
    ["a", [10, 10, 0, 0, 0]],
    ["b", [20, 20, 0, 0, 0]],
    ["merged", [0, 0, 30, 30, 30]],
  ]);
  const tree = new Map([
    ["parent", { parentId: null, mergedFromId: null, createdMs: 1_000 }],
    ["left", { parentId: "parent", mergedFromId: null, createdMs: 30_000 }],
    ["young", { parentId: "left", mergedFromId: null, createdMs: 45_000 }],
    ["a", { parentId: null, mergedFromId: null, createdMs: 2_000 }],
    ["b", { parentId: null, mergedFromId: null, createdMs: 5_000 }],
    ["merged", { parentId: "a", mergedFromId: "b", createdMs: 20_000 }],
  ]);

  it("gives a split child half its parent's writes before the split, and its own after", () => {
    expect(withLineage(own, tree, "left", 5)).toEqual({ values: [50, 50, 50, 60, 70], inherited: true });
    // Two generations down, with no telemetry of its own yet.
    expect(withLineage(own, tree, "young", 5)).toEqual({ values: [25, 25, 25, 30, 35], inherited: true });
  });

  it("gives a merged shardlet both parents' writes", () => {
    expect(withLineage(own, tree, "merged", 5)).toEqual({ values: [30, 30, 30, 30, 30], inherited: true });
  });

  it("leaves a shardlet without lineage alone, zeros when it has no telemetry", () => {
    expect(withLineage(own, tree, "parent", 5)).toEqual({ values: [100, 100, 100, 0, 0], inherited: false });
    expect(withLineage(new Map(), tree, "parent", 3)).toEqual({ values: [0, 0, 0], inherited: false });
  });

  it("dates a range from the oldest shardlet in its lineage", () => {
    expect(bornMs(tree, "young")).toBe(1_000);
    expect(bornMs(tree, "merged")).toBe(2_000);
    expect(bornMs(tree, "unknown")).toBe(Infinity);
  });
});

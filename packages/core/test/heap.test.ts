import { describe, expect, it } from "vitest";
import { createRng, siftDown, siftUp } from "../src/index.ts";

describe("heap steps", () => {
  it("pushing with siftUp and popping with siftDown gives the items in order, and tells every move", () => {
    const rng = createRng("heap");
    for (let round = 0; round < 50; round++) {
      const values = Array.from({ length: rng.int(60) }, () => rng.int(20));
      const heap: Array<{ v: number; at: number }> = [];
      const placed = (x: { v: number; at: number }, at: number) => (x.at = at);
      const before = (a: { v: number }, b: { v: number }) => a.v < b.v;
      for (const v of values) {
        heap.push({ v, at: heap.length });
        siftUp(heap, heap.length - 1, before, placed);
        heap.forEach((x, i) => expect(x.at).toBe(i));
      }
      const out: number[] = [];
      while (heap.length > 0) {
        out.push(heap[0]!.v);
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
        siftDown(heap, 0, before, placed);
        heap.forEach((x, i) => expect(x.at).toBe(i));
      }
      expect(out).toEqual([...values].sort((a, b) => a - b));
    }
  });
});

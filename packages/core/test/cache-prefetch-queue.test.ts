import { describe, expect, it } from "vitest";
import { createRng, PrefetchQueue } from "../src/index.ts";

const entry = (shardletId: string, dueAt: number, p = 0.5, bytes?: number) => ({ shardletId, dueAt, p, target: null, ...(bytes !== undefined ? { bytes } : {}) });

describe("PrefetchQueue", () => {
  it("hands out requests in predicted-arrival order, the likelier first at the same time", () => {
    const q = new PrefetchQueue();
    const rng = createRng(1);
    const dues = Array.from({ length: 200 }, (_, i) => ({ id: `s-${i}`, due: rng.int(50), p: rng.next() }));
    for (const d of dues) q.push(entry(d.id, d.due, d.p));
    expect(q.size).toBe(200);
    const peeked = q.peek(5);
    const out = q.take(1_000, Infinity, () => 1);
    expect(q.size).toBe(0);
    expect(out.map((e) => e.shardletId).slice(0, 5)).toEqual(peeked.map((e) => e.shardletId));
    const expected = [...dues].sort((x, y) => x.due - y.due || y.p - x.p || (x.id < y.id ? -1 : 1)).map((d) => d.id);
    expect(out.map((e) => e.shardletId)).toEqual(expected);
  });

  it("keeps one request per shardlet: the earlier due time and the higher probability", () => {
    const q = new PrefetchQueue();
    q.push({ shardletId: "a", dueAt: 500, p: 0.4, target: "m-1", bytes: 10 });
    q.push(entry("b", 300));
    q.push({ shardletId: "a", dueAt: 200, p: 0.3, target: "m-2" });
    q.push({ shardletId: "a", dueAt: 900, p: 0.9, target: "m-3", bytes: 30 });
    expect(q.size).toBe(2);
    expect(q.has("a")).toBe(true);
    expect(q.peek(1)[0]).toEqual({ shardletId: "a", dueAt: 200, p: 0.9, target: "m-3", bytes: 30 });
    // peek is for display only.
    expect(q.size).toBe(2);
  });

  it("starts requests a lead time ahead of their due time", () => {
    const q = new PrefetchQueue({ leadMs: 100 });
    q.push(entry("early", 1_000));
    q.push(entry("late", 1_200));
    expect(q.take(899, Infinity, () => 1)).toEqual([]);
    expect(q.take(900, Infinity, () => 1).map((e) => e.shardletId)).toEqual(["early"]);
    expect(q.take(1_099, Infinity, () => 1)).toEqual([]);
    expect(q.take(1_100, Infinity, () => 1).map((e) => e.shardletId)).toEqual(["late"]);
  });

  it("stays within the byte budget, letting smaller requests past one that does not fit", () => {
    const q = new PrefetchQueue();
    const sizes: Record<string, number> = { a: 40, b: 70, c: 30, d: 50 };
    for (const [i, id] of ["a", "b", "c", "d"].entries()) q.push(entry(id, i));
    const first = q.take(10, 100, (id) => sizes[id]!);
    // a (40) fits, b (70) does not fit the 60 left, c (30) does, d (50) not the 30 left.
    expect(first.map((e) => [e.shardletId, e.bytes])).toEqual([
      ["a", 40],
      ["c", 30],
    ]);
    expect(q.size).toBe(2);
    // What was passed over is still first in line.
    expect(q.take(10, 120, (id) => sizes[id]!).map((e) => e.shardletId)).toEqual(["b", "d"]);
    // A size given with the request wins over the lookup.
    q.push(entry("e", 0, 0.5, 5));
    expect(q.take(10, 5, () => 1_000).map((e) => e.bytes)).toEqual([5]);
  });

  it("drops requests whose read has passed", () => {
    const q = new PrefetchQueue();
    for (let i = 0; i < 10; i++) q.push(entry(`s-${i}`, i * 100));
    expect(q.dropBefore(450).map((e) => e.shardletId)).toEqual(["s-0", "s-1", "s-2", "s-3", "s-4"]);
    expect(q.size).toBe(5);
    expect(q.has("s-4")).toBe(false);
    expect(q.peek(1)[0]!.shardletId).toBe("s-5");
  });
});

import { describe, expect, it } from "vitest";
import { keepJson, keptJson } from "../src/cache/event-json.ts";
import { objectMemo } from "@shardcast/core";
import { storedBytes } from "../src/stored-bytes.ts";

describe("objectMemo", () => {
  it("remembers a value per object without changing how the object serializes or compares", () => {
    const memo = objectMemo<number>("test.size");
    const e = { seq: 1, key: "k", payload: { a: 1 } };
    const twin = { seq: 1, key: "k", payload: { a: 1 } };
    const before = JSON.stringify(e);
    expect(memo.get(e)).toBeUndefined();
    memo.set(e, 42);
    expect(memo.get(e)).toBe(42);
    expect(memo.get(twin)).toBeUndefined();
    expect(JSON.stringify(e)).toBe(before);
    expect(Object.keys(e)).toEqual(["seq", "key", "payload"]);
    expect(e).toEqual(twin);
    expect({ ...e }).toEqual(twin);
    memo.set(e, 43);
    expect(memo.get(e)).toBe(43);
  });

  it("keeps separate memos apart and falls back for objects that cannot take a property", () => {
    const a = objectMemo<string>("test.a");
    const b = objectMemo<string>("test.a");
    const o = {};
    a.set(o, "x");
    expect(b.get(o)).toBeUndefined();
    const frozen = Object.freeze({ seq: 2 });
    a.set(frozen, "y");
    expect(a.get(frozen)).toBe("y");
    expect(a.get(Object.freeze({ seq: 2 }))).toBeUndefined();
  });

  it("carries the kept JSON text and the stored size of an event, frozen or not", () => {
    for (const e of [
      { streamId: "s", seq: 3, shardletId: "a", key: "k", id: "i", type: "t", ts: 1, payload: { n: "é" } },
      Object.freeze({ streamId: "s", seq: 4, shardletId: "a", key: "k", id: "i", type: null, ts: 1, payload: [1, 2] }),
    ]) {
      expect(keptJson(e)).toBeUndefined();
      keepJson(e);
      expect(keptJson(e)?.toString("utf8")).toBe(JSON.stringify(e));
      const size = Buffer.byteLength(JSON.stringify(e.payload)) + 1 + 1 + (e.type ? 1 : 0);
      expect(storedBytes(e)).toBe(size);
      expect(storedBytes(e)).toBe(size);
    }
  });
});

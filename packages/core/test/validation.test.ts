import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_LIMITS } from "../src/limits.ts";
import { isShardcastError, type RejectedItem } from "../src/errors.ts";
import { findJsonProblem, jsonTextNeedsCheck, MAX_PAYLOAD_DEPTH, storableString, unstorableText } from "../src/text.ts";
import { MAX_TIMESTAMP_MS, parseTimestamp, validateBatch } from "../src/validation.ts";

const opts = { limits: DEFAULT_INGEST_LIMITS, keyField: "user", now: 1_700_000_000_000 };

function rejected(events: unknown[]): RejectedItem[] {
  try {
    validateBatch({ events }, opts);
  } catch (err) {
    if (isShardcastError(err) && err.code === "validation_failed") return err.details?.rejected ?? [];
    throw err;
  }
  throw new Error("the batch was accepted");
}

function nested(levels: number): unknown {
  let v: unknown = {};
  for (let i = 1; i < levels; i++) v = [v];
  return v;
}

describe("text PostgreSQL can store", () => {
  it("refuses NUL and unpaired surrogates, and nothing else", () => {
    expect(unstorableText("a\u0000b")).toMatch(/NUL/);
    expect(unstorableText("\ud800")).toMatch(/surrogate/);
    expect(unstorableText("x\udc00")).toMatch(/surrogate/);
    expect(unstorableText("\ud83dx")).toMatch(/surrogate/);
    for (const ok of ["", "plain", "😀 paired", "tab\tnew\nline\u0001", "\\u0000 as text", "é漢"]) expect(unstorableText(ok)).toBeNull();
  });

  it("is one schema that keeps the rules chained on it", () => {
    const name = storableString.trim().min(1, "enter a name").max(5);
    expect(name.parse("  ok ")).toBe("ok");
    expect(name.safeParse("a\u0000").error?.issues[0]?.message).toMatch(/NUL.*cannot be stored/);
    expect(name.safeParse("\ud800").error?.issues[0]?.message).toMatch(/surrogate/);
    expect(name.safeParse("toolong").success).toBe(false);
  });
});

describe("the payload scan", () => {
  const check = (v: unknown) => jsonTextNeedsCheck(JSON.stringify(v), MAX_PAYLOAD_DEPTH);

  it("flags escaped NULs and unpaired surrogates anywhere, field names included", () => {
    expect(check({ a: "\u0000" })).toBe(true);
    expect(check({ a: ["x", { b: "y\ud800" }] })).toBe(true);
    expect(check({ "\udfff": 1 })).toBe(true);
    expect(jsonTextNeedsCheck('{"a":"\\uDC00"}', MAX_PAYLOAD_DEPTH)).toBe(true);
  });

  it("passes text that only looks like an escape, control characters and paired surrogates", () => {
    expect(check({ a: "\\u0000", b: "\\\\u0000", c: "\\ud800" })).toBe(false);
    expect(check({ a: "\u0001\u001f", b: "😀", c: '"{[' })).toBe(false);
  });

  it("flags nesting past the limit but not at it, ignoring brackets inside strings", () => {
    expect(check(nested(MAX_PAYLOAD_DEPTH))).toBe(false);
    expect(check(nested(MAX_PAYLOAD_DEPTH + 1))).toBe(true);
    expect(check({ s: "[".repeat(500), t: 'q\\"[[[[' })).toBe(false);
  });

  it("names the field, without recursion", () => {
    expect(findJsonProblem({ a: [1, { b: "\u0000" }] }, "payload", 64)).toEqual({ path: "payload.a.1.b", message: expect.stringMatching(/^payload\.a\.1\.b contains a NUL/) as string });
    expect(findJsonProblem({ a: { "x\ud800": 1 } }, "payload", 64)).toMatchObject({ path: "payload.a", message: expect.stringMatching(/field name in payload\.a .*surrogate/) as string });
    expect(findJsonProblem(nested(100_000), "payload", 64)).toEqual({ path: "payload", message: "payload is nested more than 64 levels deep" });
    expect(findJsonProblem({ fine: ["a", 1, null, { b: true }] }, "payload", 64)).toBeNull();
    const long = findJsonProblem({ ["k".repeat(1000)]: "\u0000" }, "payload", 64);
    expect(long?.path.length).toBeLessThanOrEqual(200);
  });
});

describe("event times", () => {
  it("accept epoch milliseconds and ISO-8601 from 1970 to the end of 9999", () => {
    expect(parseTimestamp(0)).toBe(0);
    expect(parseTimestamp(1.9)).toBe(1);
    expect(parseTimestamp("9999-12-31T23:59:59.999Z")).toBe(MAX_TIMESTAMP_MS);
    expect(parseTimestamp(MAX_TIMESTAMP_MS)).toBe(MAX_TIMESTAMP_MS);
  });

  it("refuse anything else with the range in the reason", () => {
    for (const bad of [-1, MAX_TIMESTAMP_MS + 1, 99999999999999999, 1e300, Infinity, -Infinity, "+010000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]) {
      expect(parseTimestamp(bad)).toMatch(/1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z/);
    }
    expect(parseTimestamp(Number.NaN)).toMatch(/epoch milliseconds/);
    expect(parseTimestamp("soon")).toMatch(/"soon" is not epoch milliseconds/);
    expect(parseTimestamp(null)).toMatch(/epoch milliseconds/);
  });
});

describe("validateBatch", () => {
  it("names the event and field of every value PostgreSQL cannot store", () => {
    const problems = rejected([
      { key: "ok" },
      { key: "a\u0000" },
      { key: "b", type: "\ud800" },
      { key: "c", id: "x\u0000" },
      { key: "d", payload: { list: [{ deep: "\udc00" }] } },
      { payload: { user: "\u0000" } },
      { key: "e", ts: 99999999999999999 },
      { key: "f", payload: { x: nested(100_000) } },
      { key: "g", payload: { x: nested(64) } },
    ]);
    expect(problems.map((p) => [p.index, p.path])).toEqual([
      [1, "key"],
      [2, "type"],
      [3, "id"],
      [4, "payload.list.0.deep"],
      [5, "payload.user"],
      [6, "ts"],
      [7, "payload"],
      [8, "payload"],
    ]);
    expect(problems[5]?.message).toMatch(/^ts is outside the accepted range/);
    expect(problems[6]?.message).toBe("payload is nested more than 64 levels deep");
    expect(problems[7]?.message).toBe("payload is nested more than 64 levels deep");
  });

  it("accepts a payload at the depth limit and odd but storable text", () => {
    const [deep, odd] = validateBatch({ events: [{ key: "a", payload: { x: nested(63) } }, { key: "😀", type: "t\u0001", payload: { s: "\\u0000" } }] }, opts);
    expect(deep?.payloadJson.length).toBeGreaterThan(0);
    expect(odd?.key).toBe("😀");
    expect(odd?.payloadJson).toBe('{"s":"\\\\u0000"}');
  });

  it("takes a safe integer as key in its decimal form and refuses other numbers", () => {
    const [a, b, c] = validateBatch({ events: [{ key: 42 }, { key: -9007199254740991 }, { payload: { user: 7 } }] }, opts);
    expect([a?.key, b?.key, c?.key]).toEqual(["42", "-9007199254740991", "7"]);
    const problems = rejected([{ key: 1.5 }, { key: 2 ** 53 }, { key: 1e21 }, { payload: { user: 0.1 } }]);
    expect(problems.map((p) => [p.index, p.path])).toEqual([
      [0, "key"],
      [1, "key"],
      [2, "key"],
      [3, "payload.user"],
    ]);
    expect(problems[0]?.message).toMatch(/integer .* send other keys as strings/);
  });

  it("refuses a payload number past a double's range (JSON.parse reads 1e400 as Infinity), naming it; nulls pass", () => {
    const problems = rejected([{ key: "ok", payload: { a: null, b: 1e300 } }, { key: "x", payload: { a: null, list: [1, JSON.parse("-1e400") as number] } }]);
    expect(problems).toEqual([{ index: 1, path: "payload.list.1", message: expect.stringMatching(/^payload.list.1 is beyond the range of a 64-bit float/) as string }]);
  });

  it("refuses a field an event does not have, naming it, so a misspelt payload is not stored empty", () => {
    const problems = rejected([{ key: "ok", payload: { a: 1 } }, { key: "a", paylaod: { a: 1 } }, { key: "b", seq: 3, shardletId: "s" }, { key: "c", constructor: 1 }]);
    expect(problems.map((p) => [p.index, p.path])).toEqual([
      [1, "paylaod"],
      [2, "seq"],
      [3, "constructor"],
    ]);
    expect(problems[0]?.message).toBe('unknown field "paylaod" (an event has key, id, type, ts and payload)');
    expect(problems[1]?.message).toMatch(/"seq", "shardletId"/);
  });
});

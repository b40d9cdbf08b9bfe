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

  it("read ISO-8601 date-times with an offset to the millisecond, in either case", () => {
    expect(parseTimestamp("2026-01-31T09:30:00Z")).toBe(Date.UTC(2026, 0, 31, 9, 30));
    expect(parseTimestamp("2026-01-31t09:30:00.5z")).toBe(Date.UTC(2026, 0, 31, 9, 30, 0, 500));
    // Digits past the millisecond are dropped, as fractions of epoch milliseconds are.
    expect(parseTimestamp("2026-01-31T09:30:00.123999Z")).toBe(Date.UTC(2026, 0, 31, 9, 30, 0, 123));
    expect(parseTimestamp("2026-01-31T10:30:00+01:00")).toBe(Date.UTC(2026, 0, 31, 9, 30));
    expect(parseTimestamp("2026-01-31T04:00:00-05:30")).toBe(Date.UTC(2026, 0, 31, 9, 30));
    expect(parseTimestamp("2024-02-29T23:59:59Z")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseTimestamp("1970-01-01T00:00:00Z")).toBe(0);
  });

  it("refuse strings that are not a date-time with an offset, instead of guessing what they mean", () => {
    for (const bad of [
      "12", // Date.parse: 2001-12-01
      "0", // Date.parse: 2000-01-01, in the server's time zone
      "1700000000000", // epoch milliseconds go as a number
      "1/2/2030",
      "Thu, 31 Jan 2026 09:30:00 GMT",
      "2026-01-31", // a day, not an instant
      "2026-01-31T09:30:00", // local time of whichever server reads it
      "2026-01-31T09:30Z",
      "2026-01-31 09:30:00Z",
      "2026-01-31T09:30:00.Z",
      " 2026-01-31T09:30:00Z",
      "-000000-01-01T00:00:00Z",
    ]) {
      expect(parseTimestamp(bad), bad).toBe(`${JSON.stringify(bad)} is not epoch milliseconds or an ISO-8601 date-time with an offset, such as 2026-01-31T09:30:00Z`);
    }
  });

  it("refuse dates and times that do not exist rather than roll them over", () => {
    for (const bad of [
      "2030-02-31T00:00:00Z", // Date.parse: 2030-03-03
      "2023-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-31T24:00:00Z",
      "2026-01-31T23:60:00Z",
      "2026-01-31T23:59:60Z",
    ]) {
      expect(parseTimestamp(bad), bad).toMatch(/is not a date and time that exists/);
    }
    expect(parseTimestamp("2026-01-31T09:30:00+24:00")).toMatch(/offset out of bounds/);
    expect(parseTimestamp("2026-01-31T09:30:00+01:60")).toMatch(/offset out of bounds/);
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

  it("refuses a ts string Date.parse would have guessed at, naming the field, and stores an ISO one", () => {
    const problems = rejected([{ key: "a", ts: "2026-01-31T09:30:00Z" }, { key: "k", ts: "12" }, { key: "b", ts: "2030-02-31T00:00:00Z" }]);
    expect(problems).toEqual([
      { index: 1, path: "ts", message: expect.stringMatching(/^ts "12" is not epoch milliseconds or an ISO-8601 date-time/) as string },
      { index: 2, path: "ts", message: expect.stringMatching(/^ts "2030-02-31T00:00:00Z" is not a date and time that exists/) as string },
    ]);
    const [event] = validateBatch({ events: [{ key: "a", ts: "2026-01-31T09:30:00Z" }] }, opts);
    expect(event?.ts).toBe(Date.UTC(2026, 0, 31, 9, 30));
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

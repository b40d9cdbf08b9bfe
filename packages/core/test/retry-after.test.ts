import { describe, expect, it } from "vitest";
import { retryAfterHeader, retryAfterSeconds, ShardcastError } from "../src/errors.ts";

describe("Retry-After", () => {
  it("rounds a rate limit's wait up to whole seconds, at least one", () => {
    expect(retryAfterSeconds(new ShardcastError("rate_limited", "slow down", { retryAfterMs: 1 }))).toBe(1);
    expect(retryAfterSeconds(new ShardcastError("rate_limited", "slow down", { retryAfterMs: 1500 }))).toBe(2);
    expect(retryAfterSeconds(new ShardcastError("rate_limited", "slow down", { retryAfterMs: 3000 }))).toBe(3);
  });

  it("comes from an unavailable answer that says when, too", () => {
    expect(retryAfterSeconds(new ShardcastError("unavailable", "busy", { retryAfterMs: 1000 }))).toBe(1);
    expect(retryAfterSeconds(new ShardcastError("unavailable", "later"))).toBeUndefined();
  });

  it("is absent for other errors and for a rate limit that does not say when", () => {
    expect(retryAfterSeconds(new ShardcastError("conflict", "later", { retryAfterMs: 1000 }))).toBeUndefined();
    expect(retryAfterSeconds(new ShardcastError("rate_limited", "slow down"))).toBeUndefined();
  });

  it("comes from the first tRPC error caused by a rate limit", () => {
    const limited = { cause: new ShardcastError("rate_limited", "slow down", { retryAfterMs: 2500 }) };
    expect(retryAfterHeader([{ cause: new Error("other") }, limited])).toEqual({ "retry-after": "3" });
    expect(retryAfterHeader([{ cause: undefined }])).toEqual({});
  });
});

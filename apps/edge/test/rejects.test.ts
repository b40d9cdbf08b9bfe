import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createStream, revokeApiKey } from "@shardcast/db";
import { createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { get, post, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
let before: number;
beforeAll(async () => {
  h = await startHarness({ stream: "payments" });
  await createStream(h.db, h.hosts, { name: "other", shardCount: 1 });
  const ok = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: "a", payload: {} }] });
  expect(ok.status).toBe(200);
});
afterAll(() => h?.close());

const path = () => `/v1/streams/${h.stream}/events`;
type ErrorBody = { error: { code: string; message: string; details?: { rejected?: Array<{ index: number; path: string; message: string }> } } };

describe("bad input gets a clear 4xx and stores nothing", () => {
  beforeAll(async () => {
    before = await totalRows(h);
  });
  afterAll(async () => {
    expect(await totalRows(h)).toBe(before);
  });

  it("malformed JSON", async () => {
    const res = await post(h, path(), null, h.token, '{"events": [ {"key": "a", ');
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error.message).toMatch(/malformed JSON/);
  });

  it("an oversize event, reported with its index, in a batch whose other events are fine", async () => {
    const events = [{ key: "a", payload: { ok: 1 } }, { key: "b", payload: { blob: "x".repeat(5000) } }, { key: "c" }];
    const res = await post(h, path(), { events });
    expect(res.status).toBe(400);
    const err = (res.body as ErrorBody).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details?.rejected).toEqual([{ index: 1, path: "payload", message: expect.stringMatching(/bytes; the limit is 4096/) as string }]);
  });

  it("an oversize request body", async () => {
    const res = await post(h, path(), null, h.token, JSON.stringify({ events: [{ key: "a", payload: { s: "y".repeat(2 * 1024 * 1024) } }] }));
    expect(res.status).toBe(413);
    expect((res.body as ErrorBody).error.message).toMatch(/limit/);
  });

  it("a missing key", async () => {
    const res = await post(h, path(), { events: [{ key: "a" }, { payload: { user: 1 } }] });
    expect(res.status).toBe(400);
    const rejected = (res.body as ErrorBody).error.details?.rejected;
    expect(rejected).toHaveLength(1);
    expect(rejected?.[0]).toMatchObject({ index: 1, path: "key" });
    expect(rejected?.[0]?.message).toMatch(/missing key/);
  });

  it("a wrong field type and a bad body shape", async () => {
    const res = await post(h, path(), { events: [{ key: "a", payload: "not an object" }] });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error.details?.rejected?.[0]).toMatchObject({ index: 0, path: "payload" });
    const shape = await post(h, path(), [{ key: "a" }]);
    expect(shape.status).toBe(400);
    expect((shape.body as ErrorBody).error.message).toMatch(/"events"/);
  });

  it("a ts string that is not an ISO-8601 date-time with an offset, or names a day that does not exist", async () => {
    const rows = await totalRows(h);
    // Date.parse would have stored "12" at 2001-12-01 and February 31 on March 3.
    const alone = await post(h, path(), null, h.token, '{"events":[{"key":"k","ts":"12"}]}');
    expect(alone.status).toBe(400);
    expect((alone.body as ErrorBody).error.details?.rejected).toEqual([{ index: 0, path: "ts", message: expect.stringMatching(/^ts "12" is not epoch milliseconds or an ISO-8601 date-time/) as string }]);
    const mixed = await post(h, path(), { events: [{ key: "k", ts: "2026-01-31T09:30:00Z" }, { key: "k", ts: "0" }, { key: "k", ts: "2030-02-31T00:00:00Z" }] });
    expect(mixed.status).toBe(400);
    const err = (mixed.body as ErrorBody).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details?.rejected?.map((r) => [r.index, r.path])).toEqual([
      [1, "ts"],
      [2, "ts"],
    ]);
    expect(err.details?.rejected?.[1]?.message).toMatch(/^ts "2030-02-31T00:00:00Z" is not a date and time that exists/);
    expect(await totalRows(h)).toBe(rows);
    const read = await get(h, `/v1/streams/${h.stream}/keys/k/events?from=2030-02-31T00:00:00Z`);
    expect(read.status).toBe(400);
    expect((read.body as ErrorBody).error.message).toMatch(/^query parameter from "2030-02-31T00:00:00Z" is not a date and time that exists/);
  });

  it("an unknown stream", async () => {
    const res = await post(h, `/v1/streams/nope/events`, { events: [{ key: "a" }] }, await wildcardToken());
    expect(res.status).toBe(404);
    expect((res.body as ErrorBody).error.message).toMatch(/unknown stream "nope"/);
  });

  it("no API key, a bad key, a revoked key", async () => {
    const none = await post(h, path(), { events: [{ key: "a" }] }, null);
    expect(none.status).toBe(401);
    expect((none.body as ErrorBody).error.message).toMatch(/missing API key/);
    const bad = await post(h, path(), { events: [{ key: "a" }] }, "sc_nothing_here");
    expect(bad.status).toBe(401);
    const key = await createApiKey(h.db, { name: "short-lived", streams: [h.stream], canProduce: true, canConsume: false, createdById: null });
    await revokeApiKey(h.db, key.id);
    const revoked = await post(h, path(), { events: [{ key: "a" }] }, key.token);
    expect(revoked.status).toBe(401);
  });

  it("a key scoped to another stream, and a consume-only key", async () => {
    const other = await createApiKey(h.db, { name: "other-only", streams: ["other"], canProduce: true, canConsume: true, createdById: null });
    const res = await post(h, path(), { events: [{ key: "a" }] }, other.token);
    expect(res.status).toBe(403);
    expect((res.body as ErrorBody).error.message).toMatch(/not scoped to stream "payments"/);
    const reader = await createApiKey(h.db, { name: "reader", streams: [h.stream], canProduce: false, canConsume: true, createdById: null });
    const res2 = await post(h, path(), { events: [{ key: "a" }] }, reader.token);
    expect(res2.status).toBe(403);
  });

  it("the tRPC ingest applies the same validation", async () => {
    const res = await post(h, "/trpc/ingest", { stream: h.stream, events: [{ key: "" }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/key is empty/);
    // Whatever NODE_ENV is, an answer never carries the server's stack trace.
    expect(JSON.stringify(res.body)).not.toMatch(/"stack"|\.ts:\d+/);
  });
});

describe("tRPC ingest", () => {
  it("stores a batch", async () => {
    const n = await totalRows(h);
    const res = await post(h, "/trpc/ingest", { stream: h.stream, events: [{ key: "t1", payload: { via: "trpc" } }, { key: "t2" }] });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/"accepted":2/);
    expect(await totalRows(h)).toBe(n + 2);
  });
});

describe("input PostgreSQL cannot store is a 400 naming the event and field, and wastes no sequence numbers", () => {
  const redis = createRedis(testRedisUrl());
  // The stream's global sequence counter: a rejected batch must not take a block from it.
  const counter = async () => Number(await redis.get(`${h.prefix}:seq:{${h.streamId}}:n`));
  let rows: number;
  let seq: number;
  beforeAll(async () => {
    rows = await totalRows(h);
    seq = await counter();
    expect(seq).toBeGreaterThan(0);
  });
  afterAll(async () => {
    expect(await totalRows(h)).toBe(rows);
    expect(await counter()).toBe(seq);
    await redis.quit();
  });

  const good = { key: "fine", type: "ok", payload: { n: 1 } };
  async function expectRejected(res: { status: number; body: Record<string, unknown> }, index: number, path: string, message: RegExp) {
    expect(res.status).toBe(400);
    const err = (res.body as ErrorBody).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details?.rejected).toEqual([{ index, path, message: expect.stringMatching(message) as string }]);
    expect(await totalRows(h)).toBe(rows);
    expect(await counter()).toBe(seq);
  }
  const deep = (levels: number): unknown => {
    let v: unknown = [];
    for (let i = 1; i < levels; i++) v = [v];
    return v;
  };

  // An event as an object, or as JSON text when JSON.stringify itself could not write it.
  const cases: Array<[string, Record<string, unknown> | string, string, RegExp]> = [
    ["a NUL in the key", { key: "a\u0000b" }, "key", /NUL/],
    ["a NUL in the type", { key: "a", type: "click\u0000" }, "type", /NUL/],
    ["a NUL in the id", { key: "a", id: "\u0000" }, "id", /NUL/],
    ["a NUL in a payload string", { key: "a", payload: { user: { name: "x\u0000y" } } }, "payload.user.name", /NUL/],
    ["a NUL in a payload array item", { key: "a", payload: { tags: ["ok", "\u0000"] } }, "payload.tags.1", /NUL/],
    ["a NUL in a payload field name", { key: "a", payload: { meta: { "bad\u0000name": 1 } } }, "payload.meta", /field name.*NUL/],
    ["a NUL in the payload key field", { payload: { key: "\u0000" } }, "payload.key", /NUL/],
    ["an unpaired high surrogate in the key", { key: "a\ud800" }, "key", /surrogate/],
    ["an unpaired low surrogate in the type", { key: "a", type: "\udc00x" }, "type", /surrogate/],
    ["an unpaired surrogate in a payload string", { key: "a", payload: { s: "\ud83d" } }, "payload.s", /surrogate/],
    ["an unpaired surrogate in a payload field name", { key: "a", payload: { "\udfff": true } }, "payload", /field name.*surrogate/],
    ["a ts past year 9999 (epoch ms)", { key: "a", ts: 99999999999999999 }, "ts", /1970-01-01.*9999-12-31/],
    ["a ts past what a date can hold", { key: "a", ts: 1e300 }, "ts", /1970-01-01.*9999-12-31/],
    ["a ts past year 9999 (ISO-8601)", { key: "a", ts: "+275760-09-13T00:00:00.000Z" }, "ts", /1970-01-01.*9999-12-31/],
    ["a ts before 1970 (ISO-8601)", { key: "a", ts: "1969-12-31T23:59:59Z" }, "ts", /1970-01-01.*9999-12-31/],
    ["a payload nested 65 levels deep", { key: "a", payload: { x: deep(64) } }, "payload", /64 levels/],
    ["a payload nested 100,000 levels deep", `{"key":"a","payload":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`, "payload", /64 levels/],
    ["a fractional number as key", { key: 1.5 }, "key", /integer/],
    ["a number key beyond 2^53", { key: 2 ** 53 }, "key", /integer/],
  ];
  for (const [what, event, field, message] of cases) {
    it(what, async () => {
      // JSON.stringify sends a NUL as \u0000 and an unpaired surrogate as \ud800, as any producer would.
      const raw = `{"events":[${JSON.stringify(good)},${typeof event === "string" ? event : JSON.stringify(event)}]}`;
      await expectRejected(await post(h, path(), null, h.token, raw), 1, field, message);
    });
  }

  it("the same events over tRPC", async () => {
    const res = await post(h, "/trpc/ingest", { stream: h.stream, events: [good, { key: "a", payload: { s: "\u0000" } }] });
    expect(res.status).toBe(400);
    const data = (res.body as { error: { data: { shardcast: ErrorBody["error"] } } }).error.data.shardcast;
    expect(data.details?.rejected).toEqual([{ index: 1, path: "payload.s", message: expect.stringMatching(/NUL/) as string }]);
    expect(await counter()).toBe(seq);
  });

  it("a body nested 100,000 levels deep is a 400, in or outside an event", async () => {
    const inside = await post(h, path(), null, h.token, `{"events":[${"[".repeat(100_000)}${"]".repeat(100_000)}]}`);
    expect(inside.status).toBe(400);
    expect((inside.body as ErrorBody).error.details?.rejected?.[0]).toMatchObject({ index: 0, path: "event" });
    const whole = await post(h, path(), null, h.token, "[".repeat(100_000) + "]".repeat(100_000));
    expect(whole.status).toBe(400);
    expect(await counter()).toBe(seq);
  });

  it("reads by key and time refuse what they could never match", async () => {
    const nul = await get(h, `/v1/streams/${h.stream}/keys/a%00b/events`);
    expect(nul.status).toBe(400);
    expect((nul.body as ErrorBody).error.message).toMatch(/NUL/);
    const far = await get(h, `/v1/streams/${h.stream}/keys/a/events?from=99999999999999999`);
    expect(far.status).toBe(400);
    expect((far.body as ErrorBody).error.message).toMatch(/from.*9999-12-31/);
    const early = await get(h, `/v1/streams/${h.stream}/keys/a/events?to=-1e20`);
    expect(early.status).toBe(400);
    const badEscape = await get(h, `/v1/streams/${h.stream}/keys/%E0%A4/events`);
    expect(badEscape.status).toBe(400);
    const badStream = await get(h, `/v1/streams/%E0%A4/events`);
    expect(badStream.status).toBe(400);
  });
});

describe("content type", () => {
  const send = (p: string, contentType: string | null, body: string) =>
    fetch(h.url + p, { method: "POST", headers: { authorization: `Bearer ${h.token}`, ...(contentType ? { "content-type": contentType } : {}) }, body });
  const batch = JSON.stringify({ events: [{ key: "typed", payload: {} }] });

  it("is 415 unless the body is declared JSON, and nothing is stored", async () => {
    const rows = await totalRows(h);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", null]) {
      const res = await send(path(), type, batch);
      expect(res.status).toBe(415);
      const err = ((await res.json()) as ErrorBody).error;
      expect(err.code).toBe("unsupported_media_type");
      expect(err.message).toMatch(/application\/json/);
    }
    const hint = await send("/v1/hints", "text/plain", JSON.stringify({ stream: h.stream, lo: 0, hi: 10, eventsPerSec: 1, startsAt: Date.now(), endsAt: Date.now() + 60_000 }));
    expect(hint.status).toBe(415);
    const trpc = await send("/trpc/ingest", "text/plain", JSON.stringify({ stream: h.stream, events: [{ key: "typed" }] }));
    expect(trpc.status).toBe(415);
    expect(await totalRows(h)).toBe(rows);
  });

  it("accepts JSON with parameters and in any case", async () => {
    expect((await send(path(), "application/json; charset=utf-8", batch)).status).toBe(200);
    expect((await send(path(), "Application/JSON", batch)).status).toBe(200);
  });
});

describe("a number as key", () => {
  it("is the key of its decimal form: 42 and \"42\" are one key", async () => {
    const res = await post(h, path(), { events: [{ key: 42, payload: { as: "number" } }, { key: "42", payload: { as: "string" } }, { key: -7 }] });
    expect(res.status).toBe(200);
    const read = await get(h, `/v1/streams/${h.stream}/keys/42/events`);
    expect(read.status).toBe(200);
    const events = (read.body as { events: Array<{ key: string; payload: { as: string } }> }).events;
    expect(events.map((e) => [e.key, e.payload.as])).toEqual([["42", "number"], ["42", "string"]]);
    expect(((await get(h, `/v1/streams/${h.stream}/keys/-7/events`)).body as { events: unknown[] }).events).toHaveLength(1);
  });
});

async function wildcardToken() {
  return (await createApiKey(h.db, { name: "all", streams: ["*"], canProduce: true, canConsume: true, createdById: null })).token;
}

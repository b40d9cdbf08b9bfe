import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createStream, revokeApiKey } from "@shardcast/db";
import { post, startHarness, totalRows, type Harness } from "./harness.ts";

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

async function wildcardToken() {
  return (await createApiKey(h.db, { name: "all", streams: ["*"], canProduce: true, canConsume: true, createdById: null })).token;
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequestStatus } from "@shardcast/runtime/testing/raw-request";
import { get, post, startHarness, totalRows, type Harness } from "./harness.ts";

/**
 * Hostile requests beyond the cases of rejects.test.ts: each is refused with a 4xx that names the
 * problem, and stores nothing.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stream: "hostile", shardCount: 2 });
});
afterAll(() => h?.close());

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const error = (body: Record<string, unknown>) => (body as ErrorBody).error;

describe("request bodies are UTF-8 JSON", () => {
  const send = (bytes: Buffer, contentType = "application/json") =>
    fetch(`${h.url}/v1/streams/${h.stream}/events`, { method: "POST", headers: { authorization: `Bearer ${h.token}`, "content-type": contentType }, body: new Uint8Array(bytes) });

  it("a body with bytes that are not UTF-8 is a 400, not stored with replacement characters", async () => {
    const rows = await totalRows(h);
    // "café" in Latin-1: the lone 0xE9 byte is not UTF-8.
    const latin1 = Buffer.concat([Buffer.from('{"events":[{"key":"a","payload":{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}}]}')]);
    const res = await send(latin1);
    expect(res.status).toBe(400);
    const err = ((await res.json()) as ErrorBody).error;
    expect(err.code).toBe("bad_request");
    expect(err.message).toMatch(/not valid UTF-8/);
    expect(await totalRows(h)).toBe(rows);
  });

  it("a body declared in another charset is a 415; UTF-8 in any spelling is fine", async () => {
    const rows = await totalRows(h);
    const batch = Buffer.from(JSON.stringify({ events: [{ key: "charset", payload: { name: "café" } }] }));
    const res = await send(batch, "application/json; charset=iso-8859-1");
    expect(res.status).toBe(415);
    const err = ((await res.json()) as ErrorBody).error;
    expect(err.code).toBe("unsupported_media_type");
    expect(err.message).toMatch(/charset "iso-8859-1".*UTF-8/);
    expect(await totalRows(h)).toBe(rows);
    for (const type of ['application/json; charset="UTF-8"', "application/json;charset=utf8"]) expect((await send(batch, type)).status).toBe(200);
  });

  it("tRPC ingest reads its body with the same checks, and answers in tRPC's shape", async () => {
    const trpc = (bytes: Buffer, contentType = "application/json") =>
      fetch(`${h.url}/trpc/ingest`, { method: "POST", headers: { authorization: `Bearer ${h.token}`, "content-type": contentType }, body: new Uint8Array(bytes) });
    type TrpcError = { error: { message: string; data: { httpStatus: number; shardcast?: ErrorBody["error"] } } };
    const rows = await totalRows(h);
    const prefix = `{"stream":"${h.stream}","events":[{"key":"trpc-latin1","payload":{"name":"caf`;
    const latin1 = await trpc(Buffer.concat([Buffer.from(prefix), Buffer.from([0xe9]), Buffer.from('"}}]}')]));
    expect(latin1.status).toBe(400);
    const err = ((await latin1.json()) as TrpcError).error;
    expect(err.data.shardcast).toMatchObject({ code: "bad_request", message: expect.stringMatching(/not valid UTF-8/) as string });
    expect(err.data.httpStatus).toBe(400);
    const charset = await trpc(Buffer.from(JSON.stringify({ stream: h.stream, events: [{ key: "trpc-charset" }] })), "application/json; charset=latin1");
    expect(charset.status).toBe(415);
    expect(((await charset.json()) as TrpcError).error.data.shardcast).toMatchObject({ code: "unsupported_media_type" });
    expect(await totalRows(h)).toBe(rows);
    // What the edge read is what tRPC parses: a UTF-8 body is stored as sent.
    const ok = await trpc(Buffer.from(JSON.stringify({ stream: h.stream, events: [{ key: "trpc-utf8", payload: { name: "café ☕" } }] })), "application/json; charset=utf-8");
    expect(ok.status).toBe(200);
    const stored = await get(h, `/v1/streams/${h.stream}/keys/trpc-utf8/events`);
    expect((stored.body as { events: Array<{ payload: unknown }> }).events.map((e) => e.payload)).toEqual([{ name: "café ☕" }]);
  });
});

describe("methods", () => {
  it("a method the path does not have is a 405 that names the ones it has", async () => {
    const res = await fetch(`${h.url}/v1/streams/${h.stream}/events`, { method: "PUT", headers: { authorization: `Bearer ${h.token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "POST"]);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "method_not_allowed", message: expect.stringMatching(/method PUT is not allowed here/) as string });
    const trpc = await fetch(`${h.url}/trpc/ingest`, { headers: { authorization: `Bearer ${h.token}` } });
    expect(trpc.status).toBe(405);
    expect(trpc.headers.get("allow")).toBe("POST");
    await trpc.arrayBuffer();
  });
});

describe("event fields", () => {
  it("a field an event does not have is refused by REST and tRPC, naming it; nothing is stored", async () => {
    const rows = await totalRows(h);
    const events = [{ key: "fine", payload: { a: 1 } }, { key: "typo", paylaod: { a: 1 } }];
    const rest = await post(h, `/v1/streams/${h.stream}/events`, { events });
    expect(rest.status).toBe(400);
    expect(error(rest.body).details?.rejected).toEqual([{ index: 1, path: "paylaod", message: 'unknown field "paylaod" (an event has key, id, type, ts and payload)' }]);
    const trpc = await post(h, "/trpc/ingest", { stream: h.stream, events });
    expect(trpc.status).toBe(400);
    expect(await totalRows(h)).toBe(rows);
  });

  it("a number past a double's range is refused, not stored as null; large but finite ones and look-alike text pass", async () => {
    const rows = await totalRows(h);
    const huge = await post(h, `/v1/streams/${h.stream}/events`, null, h.token, '{"events":[{"key":"n","payload":{"ok":1,"amount":-1E400}}]}');
    expect(huge.status).toBe(400);
    expect(error(huge.body).details?.rejected).toEqual([{ index: 0, path: "payload.amount", message: expect.stringMatching(/^payload.amount is beyond the range of a 64-bit float/) as string }]);
    const viaTrpc = await post(h, "/trpc/ingest", null, h.token, `{"stream":"${h.stream}","events":[{"key":"n","payload":{"amount":1e400}}]}`);
    expect(viaTrpc.status).toBe(400);
    expect(await totalRows(h)).toBe(rows);
    const fine = await post(h, `/v1/streams/${h.stream}/events`, null, h.token, '{"events":[{"key":"big-but-finite","payload":{"amount":1e300,"note":"e400"}}]}');
    expect(fine.status).toBe(200);
    const stored = await get(h, `/v1/streams/${h.stream}/keys/big-but-finite/events`);
    expect((stored.body as { events: Array<{ payload: unknown }> }).events.map((e) => e.payload)).toEqual([{ amount: 1e300, note: "e400" }]);
  });
});

describe("query parameters", () => {
  const read = (query: string) => get(h, `/v1/streams/${h.stream}/events?${query}`);

  it("an integer is decimal digits: hex, binary, exponents, signs and blanks are refused", async () => {
    for (const query of ["after=0x5", "after=0b101", "after=%20", "after=+5", "limit=1e2", "limit=%205", "limit=0o7"]) {
      const res = await read(query);
      expect(res.status, query).toBe(400);
      expect(error(res.body).message, query).toMatch(/must be an integer from/);
    }
    expect((await read("after=5&limit=2")).status).toBe(200);
  });

  it("a parameter given twice is refused, not silently read from its first value", async () => {
    for (const query of ["limit=5&limit=5000", "after=5&after=abc", "after=1&after=1"]) {
      const res = await read(query);
      expect(res.status, query).toBe(400);
      expect(error(res.body).message, query).toMatch(/query parameter (limit|after) is given more than once/);
    }
    const hints = await get(h, `/v1/hints?stream=${h.stream}&stream=other`);
    expect(hints.status).toBe(400);
  });
});

describe("reads by key refuse what no event can match", () => {
  it("a key longer than keys may be", async () => {
    const res = await get(h, `/v1/streams/${h.stream}/keys/${"x".repeat(257)}/events`);
    expect(res.status).toBe(400);
    expect(error(res.body).message).toMatch(/key has 257 characters; the limit is 256/);
    expect((await get(h, `/v1/streams/${h.stream}/keys/${"x".repeat(256)}/events`)).status).toBe(200);
  });

  it("a time range that ends before it starts", async () => {
    const res = await get(h, `/v1/streams/${h.stream}/keys/k1/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(res.status).toBe(400);
    expect(error(res.body).message).toMatch(/from .* after to/);
    expect((await get(h, `/v1/streams/${h.stream}/keys/k1/events?from=1000&to=1000`)).status).toBe(200);
  });
});

describe("hints", () => {
  it("an unknown API key is a 401 before the body is read, whatever the body", async () => {
    for (const raw of ["{", JSON.stringify({ stream: h.stream, lo: 0, hi: 10, eventsPerSec: 1, startsAt: Date.now(), endsAt: Date.now() + 60_000 })]) {
      const res = await post(h, "/v1/hints", null, "sc_0123456789_aaaaaaaaaaaaaaaaaaaaaaaa", raw);
      expect(res.status, raw).toBe(401);
      expect(error(res.body).code).toBe("unauthenticated");
    }
  });
});

describe("tRPC errors carry the Shardcast error in data.shardcast", () => {
  type TrpcError = { error: { message: string; data: { httpStatus: number; shardcast?: ErrorBody["error"] } } };

  it("a bad stream name: a readable message naming the field, and the code", async () => {
    const res = await post(h, "/trpc/ingest", { stream: "Bad Name", events: [{ key: "a" }] });
    expect(res.status).toBe(400);
    const err = (res.body as TrpcError).error;
    expect(err.data.shardcast).toMatchObject({ code: "bad_request", message: expect.stringMatching(/^invalid input: stream: stream name may use/) as string });
    expect(err.message).toBe(err.data.shardcast?.message);
  });

  it("malformed JSON and an oversize body", async () => {
    const bad = await post(h, "/trpc/ingest", null, h.token, '{"stream":"x"');
    expect(bad.status).toBe(400);
    expect((bad.body as TrpcError).error.data.shardcast).toMatchObject({ code: "bad_request", message: expect.stringMatching(/JSON/) as string });
    const big = await post(h, "/trpc/ingest", { stream: h.stream, events: [{ key: "a", payload: { s: "y".repeat(2 * 1024 * 1024) } }] });
    expect(big.status).toBe(413);
    expect((big.body as TrpcError).error.data.shardcast).toMatchObject({ code: "payload_too_large" });
  });
});

describe("request targets", () => {
  it("a target that is no URL path is a 400, and the edge keeps serving", async () => {
    const port = Number(new URL(h.url).port);
    for (const target of ["//[", "//%zz", "//x:70000/v1", "http://["]) {
      expect(await rawRequestStatus(port, `GET ${target} HTTP/1.1\r\nhost: edge\r\nconnection: close\r\n\r\n`)).toBe(400);
    }
    expect((await get(h, `/v1/streams/${h.stream}/events?after=0`)).status).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASH_SPACE, keyHash } from "@shardcast/core";
import { createApiKey, createStream } from "@shardcast/db";
import { get, post, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let consumeOnly: string;
let otherStream: string;
beforeAll(async () => {
  h = await startHarness({ stream: "hinted" });
  await createStream(h.db, h.hosts, { name: "elsewhere", shardCount: 1 });
  consumeOnly = (await createApiKey(h.db, { name: "reader", streams: ["hinted"], canProduce: false, canConsume: true, createdById: null })).token;
  otherStream = (await createApiKey(h.db, { name: "other", streams: ["elsewhere"], canProduce: true, canConsume: true, createdById: null })).token;
});
afterAll(() => h?.close());

const HOUR = 3_600_000;
type ErrorBody = { error: { code: string; message: string; details?: { issues?: Array<{ path: string; message: string }> } } };
type HintsBody = { stream: string; hints: Array<{ id: string; lo: number; hi: number; eventsPerSec: number; startsAt: string; endsAt: string; note: string | null }> };

const stored = () => h.db.loadHint.count();

describe("POST /v1/hints", () => {
  it("stores a hash-range hint with the key that sent it", async () => {
    const startsAt = Date.now() + HOUR;
    const res = await post(h, "/v1/hints", { stream: "hinted", lo: 0, hi: HASH_SPACE / 4, eventsPerSec: 500, startsAt, endsAt: new Date(startsAt + 2 * HOUR).toISOString(), note: "launch" });
    expect(res.status).toBe(201);
    const body = res.body as unknown as HintsBody;
    expect(body.hints).toEqual([
      { id: expect.any(String) as string, lo: 0, hi: HASH_SPACE / 4, eventsPerSec: 500, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 2 * HOUR).toISOString(), note: "launch" },
    ]);
    const row = await h.db.loadHint.findUniqueOrThrow({ where: { id: body.hints[0]!.id } });
    expect(row.streamId).toBe(h.streamId);
    expect(Number(row.hi)).toBe(HASH_SPACE / 4);
    expect(row.apiKeyId).not.toBeNull();
  });

  it("shares a key list's rate among its keys, one single-hash range per key", async () => {
    const now = Date.now();
    const res = await post(h, "/v1/hints", { stream: "hinted", keys: ["user-1", "user-2", "user-1", "user-3"], eventsPerSec: 100, startsAt: now, endsAt: now + HOUR });
    expect(res.status).toBe(201);
    const hints = (res.body as unknown as HintsBody).hints;
    const byLo = new Map(hints.map((x) => [x.lo, x]));
    expect(hints).toHaveLength(3);
    expect(byLo.get(keyHash("user-1"))).toMatchObject({ hi: keyHash("user-1") + 1, eventsPerSec: 50 });
    expect(byLo.get(keyHash("user-2"))).toMatchObject({ eventsPerSec: 25 });
    expect(hints.reduce((s, x) => s + x.eventsPerSec, 0)).toBe(100);
  });

  it("turns keyFrom/keyTo into the hash range between the two keys' hashes", async () => {
    const now = Date.now();
    const res = await post(h, "/v1/hints", { stream: "hinted", keyFrom: "a", keyTo: "b", eventsPerSec: 5, startsAt: now, endsAt: now + HOUR });
    expect(res.status).toBe(201);
    const [a, b] = [keyHash("a"), keyHash("b")];
    expect((res.body as unknown as HintsBody).hints[0]).toMatchObject({ lo: Math.min(a, b), hi: Math.max(a, b) + 1 });
  });

  it("lists the stream's active hints", async () => {
    const res = await get(h, "/v1/hints?stream=hinted");
    expect(res.status).toBe(200);
    const body = res.body as unknown as HintsBody;
    expect(body.hints.length).toBe(await h.db.loadHint.count({ where: { streamId: h.streamId, endsAt: { gt: new Date() } } }));
    expect(body.hints.length).toBe(5);
    expect((await get(h, "/v1/hints")).status).toBe(400);
    expect((await get(h, "/v1/hints?stream=nope")).status).toBe(403);
  });
});

describe("bad hints get a precise 4xx and store nothing", () => {
  let before: number;
  beforeAll(async () => {
    before = await stored();
  });
  afterAll(async () => {
    expect(await stored()).toBe(before);
  });

  const now = Date.now();
  const valid = { stream: "hinted", lo: 0, hi: 1000, eventsPerSec: 10, startsAt: now, endsAt: now + HOUR };
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ["a window over 7 days", { ...valid, endsAt: now + 8 * 24 * HOUR }, "endsAt", /at most 7 days/],
    ["an end before the start", { ...valid, startsAt: now + 2 * HOUR, endsAt: now + HOUR }, "endsAt", /after startsAt/],
    ["a window that has ended", { ...valid, startsAt: now - 2 * HOUR, endsAt: now - HOUR }, "endsAt", /already ended/],
    ["a start too far ahead", { ...valid, startsAt: now + 40 * 24 * HOUR, endsAt: now + 41 * 24 * HOUR }, "startsAt", /30 days ahead/],
    ["a negative rate", { ...valid, eventsPerSec: -1 }, "eventsPerSec", /./],
    ["a rate past the bound", { ...valid, eventsPerSec: 1e9 }, "eventsPerSec", /./],
    ["lo >= hi", { ...valid, lo: 500, hi: 500 }, "hi", /greater than lo/],
    ["hi past the hash space", { ...valid, hi: HASH_SPACE + 1 }, "hi", /./],
    ["two range forms", { ...valid, keys: ["a"] }, "", /exactly one of/],
    ["no range", { stream: "hinted", eventsPerSec: 1, startsAt: now, endsAt: now + HOUR }, "", /exactly one of/],
    ["keyFrom without keyTo", { stream: "hinted", keyFrom: "a", eventsPerSec: 1, startsAt: now, endsAt: now + HOUR }, "keyTo", /go together/],
    ["an unknown field", { ...valid, rate: 3 }, "", /unrecognized/i],
    ["a bad date", { ...valid, startsAt: "yesterday-ish" }, "startsAt", /ISO-8601/],
    ["a NUL in the note", { ...valid, note: "launch\u0000" }, "note", /NUL/],
    ["an unpaired surrogate in the note", { ...valid, note: "launch \ud83d" }, "note", /surrogate/],
    ["a NUL in a listed key", { stream: "hinted", keys: ["ok", "a\u0000"], eventsPerSec: 1, startsAt: now, endsAt: now + HOUR }, "keys.1", /NUL/],
    ["an unpaired surrogate in keyFrom", { stream: "hinted", keyFrom: "\udc00", keyTo: "b", eventsPerSec: 1, startsAt: now, endsAt: now + HOUR }, "keyFrom", /surrogate/],
    ["a time past year 9999", { ...valid, endsAt: 99999999999999999 }, "endsAt", /9999-12-31/],
  ];
  for (const [what, body, path, message] of cases) {
    it(what, async () => {
      const res = await post(h, "/v1/hints", body);
      expect(res.status).toBe(400);
      const err = (res.body as unknown as ErrorBody).error;
      expect(err.code).toBe("validation_failed");
      expect(err.details?.issues?.[0]?.path).toBe(path);
      expect(err.message).toMatch(message);
    });
  }

  it("an unknown stream is 404 (for a key that may use every stream)", async () => {
    const all = (await createApiKey(h.db, { name: "all", streams: ["*"], canProduce: true, canConsume: false, createdById: null })).token;
    const res = await post(h, "/v1/hints", { ...valid, stream: "missing" }, all);
    expect(res.status).toBe(404);
  });

  it("no key or a wrong key is 401; a key without produce or for another stream is 403", async () => {
    expect((await post(h, "/v1/hints", valid, null)).status).toBe(401);
    expect((await post(h, "/v1/hints", valid, "sc_nope_nothing")).status).toBe(401);
    const noProduce = await post(h, "/v1/hints", valid, consumeOnly);
    expect(noProduce.status).toBe(403);
    expect((noProduce.body as unknown as ErrorBody).error.message).toMatch(/may not produce/);
    expect((await post(h, "/v1/hints", valid, otherStream)).status).toBe(403);
    expect((await get(h, "/v1/hints?stream=hinted", consumeOnly)).status).toBe(403);
    expect((await get(h, "/v1/hints?stream=hinted", null)).status).toBe(401);
  });

  it("malformed JSON is 400", async () => {
    const res = await post(h, "/v1/hints", null, h.token, "{");
    expect(res.status).toBe(400);
  });
});

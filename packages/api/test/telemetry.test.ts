import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { applyTelemetryBatch, createStream } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
let viewer: string;
const now = Date.now();
const bucket = Math.floor((now - 60_000) / 10_000) * 10_000;

beforeAll(async () => {
  h = await startHarness();
  viewer = await h.sessionFor("viewer");
  const stream = await createStream(h.db, h.hosts, { name: "clicks", shardCount: 1 });
  const shardletId = "shardlet-x";
  await applyTelemetryBatch(h.db, {
    id: "api-test-batch",
    claimedAtMs: now,
    deltas: {
      shardlets: [],
      hotKeys: [
        { bucketStart: bucket, streamId: stream.id, key: "user-1", writes: 40, reads: 5, error: 0 },
        { bucketStart: bucket, streamId: stream.id, key: "user-2", writes: 3, reads: 30, error: 2 },
        { bucketStart: bucket, streamId: stream.id, key: "user-3", writes: 1, reads: 0, error: 0 },
        // Outside a 15-minute window.
        { bucketStart: bucket - 30 * 60_000, streamId: stream.id, key: "old", writes: 999, reads: 0, error: 0 },
      ],
      clients: [
        { bucketStart: bucket, streamId: stream.id, shardletId, client: "svc-a", clientGroup: "analytics", reads: 12 },
        { bucketStart: bucket, streamId: stream.id, shardletId: "shardlet-y", client: "svc-a", clientGroup: "analytics", reads: 3 },
        { bucketStart: bucket, streamId: stream.id, shardletId, client: "svc-b", clientGroup: "default", reads: 20 },
      ],
    },
  });
});
afterAll(() => h?.close());

describe("telemetry procedures", () => {
  it("lists a stream's hot keys over the window, busiest first", async () => {
    const res = await h.call<{ resolution: number; keys: Array<{ key: string; keyHash: number; writes: number; reads: number; error: number }> }>(
      "query",
      "telemetry.hotKeys",
      { stream: "clicks", windowMinutes: 15, limit: 2 },
      viewer,
    );
    expect(res.status).toBe(200);
    expect(res.data?.resolution).toBe(10);
    expect(res.data?.keys).toEqual([
      { key: "user-1", keyHash: keyHash("user-1"), writes: 40, reads: 5, error: 0 },
      { key: "user-2", keyHash: keyHash("user-2"), writes: 3, reads: 30, error: 2 },
    ]);
  });

  it("lists the top readers with the shardlets they read", async () => {
    const res = await h.call<{ clients: unknown[] }>("query", "telemetry.topClients", { stream: "clicks" }, viewer);
    expect(res.status).toBe(200);
    expect(res.data?.clients).toEqual([
      { client: "svc-b", clientGroup: "default", reads: 20, shardlets: 1 },
      { client: "svc-a", clientGroup: "analytics", reads: 15, shardlets: 2 },
    ]);
  });

  it("needs a session, a known stream and a sane window", async () => {
    expect((await h.call("query", "telemetry.hotKeys", { stream: "clicks" })).status).toBe(401);
    expect((await h.call("query", "telemetry.topClients", { stream: "nope" }, viewer)).status).toBe(404);
    expect((await h.call("query", "telemetry.hotKeys", { stream: "clicks", windowMinutes: 0 }, viewer)).status).toBe(400);
  });
});

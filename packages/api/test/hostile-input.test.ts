import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSettings } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { startHarness, waitingJobs, type Harness } from "./harness.ts";

/**
 * Input that can never succeed must be a 400 or 404 that says why and stores nothing: before these
 * checks each of these reached the database and failed there (a 500, which means "retry"), or was
 * accepted for something that does not exist.
 */
describe("hostile console input", () => {
  let h: Harness;
  let admin: string;
  let operator: string;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    admin = await h.sessionFor("admin");
    operator = await h.sessionFor("operator");
  });
  afterAll(async () => {
    await h.close();
  });

  describe("ids", () => {
    it("refuses an id longer than any id with a 400 naming the field, before any lookup", async () => {
      for (const [path, input] of [
        ["shardmap.split", { shardletId: "x".repeat(10_000) }],
        ["migrations.reject", { id: "x".repeat(201), reason: "too long" }],
      ] as const) {
        const res = await h.call("mutation", path, input, operator);
        expect(res.status, path).toBe(400);
        expect(res.error?.data.details?.rejected?.[0]?.message, path).toMatch(/an id has at most 200 characters/);
      }
      expect((await h.call("mutation", "shardmap.split", { shardletId: "x".repeat(200) }, operator)).status).toBe(404);
    });

    it("refuses an overlong stream filter on the console's lists, and takes one of any id's length", async () => {
      for (const [path, input] of [
        ["shardmap.byHost", {}],
        ["migrations.list", { view: "open" }],
        ["analyzer.notes", {}],
        ["analyzer.proposals", {}],
        ["operations.lifecycleJobs", {}],
      ] as const) {
        const res = await h.call("query", path, { ...input, streamId: "x".repeat(10_000) }, operator);
        expect(res.status, path).toBe(400);
        expect(res.error?.data.details?.rejected, path).toEqual([{ index: 0, path: "streamId", message: "streamId: an id has at most 200 characters" }]);
        expect((await h.call("query", path, { ...input, streamId: "x".repeat(200) }, operator)).status, path).toBe(200);
        expect((await h.call("query", path, input, operator)).status, path).toBe(200);
      }
    });
  });

  describe("pre-allocation", () => {
    it("refuses a NUL in the overview's stream filter with a 400 naming the field", async () => {
      const res = await h.call("query", "prealloc.overview", { streamId: "s\u0000" }, admin);
      expect(res.status).toBe(400);
      expect(res.error?.data.details?.rejected).toEqual([{ index: 0, path: "streamId", message: expect.stringMatching(/NUL/) as string }]);
    });

    it("queues no training, unaudited, for a stream id no stream could have", async () => {
      const before = (await waitingJobs(h)).length;
      const nul = await h.call("mutation", "prealloc.train", { streamId: "s\u0000" }, operator);
      expect(nul.status).toBe(400);
      expect(nul.error?.data.details?.rejected?.[0]?.path).toBe("streamId");
      expect((await waitingJobs(h)).length).toBe(before);
      expect(await h.db.operation.count({ where: { kind: "prealloc.train.request" } })).toBe(0);
    });
  });

  describe("profiler settings", () => {
    it("refuses per-stream settings under a name no stream can have, naming the entry", async () => {
      for (const name of ["orders\u0000", "orders\ud800", "Not A Stream"]) {
        const res = await h.call("mutation", "profiler.updateSettings", { streams: { [name]: { keyFields: ["amount"] } } }, admin);
        expect(res.status).toBe(400);
        expect(res.error?.data.scCode).toBe("validation_failed");
        expect(res.error?.data.details?.rejected).toEqual([{ index: 0, path: `streams.${name}`, message: expect.stringMatching(/stream name/) as string }]);
      }
      expect((await getSettings(h.db)).profiler).toBeUndefined();
    });

    it("caps how many streams have their own settings", async () => {
      const streams = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`s-${i}`, { keyFields: [] }]));
      const res = await h.call("mutation", "profiler.updateSettings", { streams }, admin);
      expect(res.status).toBe(400);
      expect(res.error?.data.details?.rejected).toEqual([{ index: 0, path: "streams", message: "streams: at most 1000 streams may have their own settings" }]);
      expect((await getSettings(h.db)).profiler).toBeUndefined();
    });
  });

  describe("lifecycle settings", () => {
    it("refuses a merge write rate that a merge would carry past the split write rate", async () => {
      const current = (await h.call<{ lifecycle: Record<string, unknown> }>("query", "settings.get", undefined, operator)).data!.lifecycle;
      const res = await h.call("mutation", "settings.update", { ...current, splitWriteRate: 100, mergeWriteRate: 50 }, operator);
      expect(res.status).toBe(400);
      expect(res.error?.data.details?.rejected).toEqual([
        { index: 0, path: "mergeWriteRate", message: expect.stringMatching(/^mergeWriteRate: merge write rate must be less than half the split write rate/) as string },
      ]);
      expect((await getSettings(h.db)).lifecycle).toBeUndefined();
      // Just below half is a valid pair.
      const ok = await h.call("mutation", "settings.update", { ...current, splitWriteRate: 100, mergeWriteRate: 49 }, operator);
      expect(ok.status).toBe(200);
    });
  });

  describe("host registration", () => {
    it("says what form a DSN that is no URL should have, without revealing its password", async () => {
      const res = await h.call("mutation", "hosts.register", { name: "h-bad-url", dsn: "postgres://u:hunter2-pw@[::1:1/db" }, admin);
      expect(res.status).toBe(400);
      expect(res.error?.message).toBe("DSN is not a URL: expected user:password@host:port/database after postgres://");
      expect(JSON.stringify(res.error)).not.toContain("hunter2-pw");
    });

    it("refuses a capacity the control database cannot store, before touching the host", async () => {
      const extra = await createTestHostDb();
      try {
        const res = await h.call("mutation", "hosts.register", { name: "h-huge", dsn: extra.dsn, capacityEventsPerSec: 2 ** 31 }, admin);
        expect(res.status).toBe(400);
        expect(res.error?.data.details?.rejected).toEqual([
          { index: 0, path: "capacityEventsPerSec", message: "capacityEventsPerSec: capacity must be at most 2,147,483,647 events/s" },
        ]);
        expect(await h.db.host.count({ where: { name: "h-huge" } })).toBe(0);
        const atLimit = await h.call("mutation", "hosts.register", { name: "h-max", dsn: extra.dsn, capacityEventsPerSec: 2 ** 31 - 1 }, admin);
        expect(atLimit.status).toBe(200);
      } finally {
        await h.hosts.closeAll();
        await extra.drop().catch(() => undefined);
      }
    });
  });
});
